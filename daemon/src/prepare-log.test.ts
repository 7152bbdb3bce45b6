// The prepare log as the app reads it while a script runs: whole lines batched, and a line the
// script leaves unfinished while it works shown anyway, then completed in place.
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Redactor, readPrepareLog, resetPrepareLog } from '@openviber/shared';
import { prepareLogWriter } from './prepare-log.ts';
import { waitFor } from '../test/wait-for.ts';

const PAUSE_MS = 30;

function log() {
  const doc = new Y.Doc();
  resetPrepareLog(doc, 1);
  const writer = prepareLogWriter(doc, () => new Redactor([]), PAUSE_MS);
  return { doc, writer, lines: () => readPrepareLog(doc).lines };
}

describe('prepare log writer', () => {
  it('[D3] a line the script leaves unfinished while it works is shown, grows, and is completed in place', async () => {
    const { writer, lines } = log();
    writer.output('resolving\nInstalling dependencies...');
    await waitFor(() => lines().length === 2, { what: 'the unfinished line', timeoutMs: 5_000 });
    expect(lines()).toEqual(['resolving', 'Installing dependencies...']);
    writer.output(' 50%');
    await waitFor(() => lines()[1]?.endsWith('50%'), { what: 'the line to grow', timeoutMs: 5_000 });
    expect(lines()).toEqual(['resolving', 'Installing dependencies... 50%']);
    writer.output(' done\nnext step\n');
    writer.flush();
    expect(lines()).toEqual(['resolving', 'Installing dependencies... 50% done', 'next step']);
    // A note ends a shown line as it is: nothing repeated.
    writer.output('waiting for the lock');
    await waitFor(() => lines().length === 4, { what: 'the second unfinished line', timeoutMs: 5_000 });
    writer.note('setup script exited with code 1');
    writer.flush();
    expect(lines()).toEqual([
      'resolving',
      'Installing dependencies... 50% done',
      'next step',
      'waiting for the lock',
      'setup script exited with code 1',
    ]);
  });

  it('output that keeps coming mid-line is not shown half-way: only a pause shows it', async () => {
    vi.useFakeTimers();
    try {
      const { writer, lines } = log();
      // Each piece comes just before the pause would end: the line is never shown half-way.
      for (let i = 0; i < 10; i++) {
        writer.output(`${i}`);
        await vi.advanceTimersByTimeAsync(PAUSE_MS - 1);
      }
      expect(lines()).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(lines()).toEqual(['0123456789']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('[V4] a line shown before it was complete costs a few bytes until the next prepare, and nothing after it', async () => {
    const size = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc).byteLength;
    const whole = log();
    const shownFirst = log();
    const n = 100;
    for (let i = 0; i < n; i++) {
      whole.writer.output(`step ${i} ... ok\n`);
      whole.writer.flush();
      shownFirst.writer.output(`step ${i} ...`);
      await waitFor(() => shownFirst.lines().at(-1) === `step ${i} ...`, {
        what: `line ${i} shown`,
        timeoutMs: 5_000,
      });
      shownFirst.writer.output(' ok\n');
      shownFirst.writer.flush();
    }
    expect(shownFirst.lines()).toEqual(whole.lines());
    // Each completed line leaves its shown form's tombstone (an id and a length, not its text)...
    expect((size(shownFirst.doc) - size(whole.doc)) / n).toBeLessThan(40);
    // ...which the next prepare's reset folds into one deleted range with everything else.
    resetPrepareLog(whole.doc, 2);
    resetPrepareLog(shownFirst.doc, 2);
    expect(Math.abs(size(shownFirst.doc) - size(whole.doc))).toBeLessThan(16);
  });
});
