import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendPrepareLines,
  appendRunOutput,
  getRun,
  prepareLinesArray,
  readPrepareLog,
  resetPrepareLog,
  runsMap,
  writeRun,
} from './log-docs.ts';
import { RunState, type PrepareStep } from './enums.ts';
import {
  MAX_PREPARE_LOG_LINES,
  MAX_RUN_OUTPUT_CHARS,
  MAX_RUNS_WITH_OUTPUT,
  OLD_RUN_OUTPUT_CHARS,
} from './limits.ts';

describe('[D3] [D4] bounded logs', () => {
  it('run output keeps the newest characters up to the bound and counts what it dropped', () => {
    const doc = new Y.Doc();
    writeRun(doc, 'm1', { state: 'progress' });
    let all = '';
    for (let i = 0; i < 500; i++) {
      const chunk = `line ${i} ${'x'.repeat(i % 37)}\n`;
      all += chunk;
      appendRunOutput(doc, 'm1', chunk, 2_000);
    }
    const run = getRun(doc, 'm1')!;
    expect(run.output.length).toBeLessThanOrEqual(2_000);
    expect(run.output.length).toBeGreaterThan(1_900);
    expect(all.endsWith(run.output)).toBe(true);
    expect(run.droppedChars + run.output.length).toBe(all.length);
  });

  it('[D4] a long conversation: the newest runs keep their whole output, older ones its end, and the document stays bounded', () => {
    const doc = new Y.Doc();
    const size = () => Y.encodeStateAsUpdate(doc).byteLength;
    /** A run the way the Viber writes one: started, output in pieces, ended. */
    const run = (i: number, chars: number) => {
      const id = `msg${String(i).padStart(4, '0')}`;
      writeRun(doc, id, { state: RunState.started, startedAt: 1_000 + i });
      const line = `run ${i} line\n`;
      const text =
        line.repeat(Math.ceil(chars / line.length)).slice(0, chars - 8) + `end-${i}\n`.padStart(8, '.');
      for (let at = 0; at < text.length; at += 50_000) appendRunOutput(doc, id, text.slice(at, at + 50_000));
      writeRun(doc, id, { state: RunState.completed, exitCode: 0, endedAt: 2_000 + i });
      return id;
    };
    const ids = Array.from({ length: 30 }, (_, i) => run(i, MAX_RUN_OUTPUT_CHARS));
    const newest = ids.slice(-MAX_RUNS_WITH_OUTPUT);
    for (const id of newest) {
      const r = getRun(doc, id)!;
      expect([r.output.length, r.droppedChars]).toEqual([MAX_RUN_OUTPUT_CHARS, 0]);
    }
    // The 30th run's start clipped the 10th: the ten oldest keep their last characters, counted.
    for (const [i, id] of ids.slice(0, 30 - MAX_RUNS_WITH_OUTPUT).entries()) {
      const r = getRun(doc, id)!;
      expect(r.output.length).toBe(OLD_RUN_OUTPUT_CHARS);
      expect(r.output.endsWith(`end-${i}\n`)).toBe(true);
      expect(r.droppedChars).toBe(MAX_RUN_OUTPUT_CHARS - OLD_RUN_OUTPUT_CHARS);
      expect(r).toMatchObject({ state: RunState.completed, exitCode: 0 });
    }
    // Bounded by the newest runs' outputs plus a tail per older run, not 256 K per run: 200 more
    // long runs add their tails and records (~200 bytes each: fields, and the tombstones of what went).
    for (let i = 30; i < 230; i++) run(i, MAX_RUN_OUTPUT_CHARS);
    const bound = MAX_RUNS_WITH_OUTPUT * MAX_RUN_OUTPUT_CHARS + 210 * (OLD_RUN_OUTPUT_CHARS + 400);
    expect(size()).toBeLessThan(bound);
    expect(size()).toBeGreaterThan(MAX_RUNS_WITH_OUTPUT * MAX_RUN_OUTPUT_CHARS);
  });

  it('a run still going is never clipped, however old its start', () => {
    const doc = new Y.Doc();
    writeRun(doc, 'stuck', { state: RunState.started, startedAt: 1 });
    appendRunOutput(doc, 'stuck', 'x'.repeat(10_000));
    for (let i = 0; i < MAX_RUNS_WITH_OUTPUT + 2; i++)
      writeRun(doc, `m${i}`, { state: RunState.completed, startedAt: 100 + i });
    expect(getRun(doc, 'stuck')).toMatchObject({ droppedChars: 0, output: 'x'.repeat(10_000) });
  });

  it('keeps counting right for a writer that starts on a document with output already in it', () => {
    const first = new Y.Doc();
    writeRun(first, 'm1', { state: 'progress' });
    appendRunOutput(first, 'm1', 'a'.repeat(1_500), 2_000);
    const second = new Y.Doc(); // e.g. the daemon after a restart
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    appendRunOutput(second, 'm1', 'b'.repeat(1_000), 2_000);
    const run = getRun(second, 'm1')!;
    expect(run.output).toBe('b'.repeat(1_000));
    expect(run.droppedChars).toBe(1_500);
  });

  it('a prepare log keeps the newest lines and starts over at each prepare', () => {
    const doc = new Y.Doc();
    resetPrepareLog(doc, 1);
    appendPrepareLines(
      doc,
      Array.from({ length: MAX_PREPARE_LOG_LINES + 10 }, (_, i) => `l${i}`),
      'setup',
    );
    const log = readPrepareLog(doc);
    expect(log.lines.length).toBe(MAX_PREPARE_LOG_LINES);
    expect(log.lines[0]).toBe('l10');
    expect(log).toMatchObject({ dropped: 10, step: 'setup', generation: 1 });
    resetPrepareLog(doc, 2);
    expect(readPrepareLog(doc)).toMatchObject({ lines: [], dropped: 0, generation: 2 });
  });

  it('[S6] a prepare log step this code does not know reads as none', () => {
    const doc = new Y.Doc();
    resetPrepareLog(doc, 1);
    appendPrepareLines(doc, ['x'], 'setup');
    expect(readPrepareLog(doc).step).toBe('setup');
    appendPrepareLines(doc, [], 'warp-drive' as PrepareStep); // a newer Viber's step
    expect(readPrepareLog(doc)).toMatchObject({ step: '', lines: ['x'] });
  });

  it("[S6] a reader is bounded by the writer's limits whatever the document holds (a Viber that wrote past them)", () => {
    const doc = new Y.Doc();
    writeRun(doc, 'msg_1', { state: RunState.progress });
    // Written past appendRunOutput: 3x the bound, in chunks of every size.
    const chunks = runsMap(doc).get('msg_1') as Y.Map<unknown>;
    const output = chunks.get('output') as Y.Array<string>;
    const big = 'a'.repeat(MAX_RUN_OUTPUT_CHARS);
    output.push([big, 'b'.repeat(7), big, 'c'.repeat(MAX_RUN_OUTPUT_CHARS - 3), 'END']);
    const run = getRun(doc, 'msg_1')!;
    expect(run.output.length).toBe(MAX_RUN_OUTPUT_CHARS);
    expect(run.output.endsWith('c'.repeat(MAX_RUN_OUTPUT_CHARS - 3) + 'END')).toBe(true);
    expect(run.droppedChars).toBe(2 * MAX_RUN_OUTPUT_CHARS + 7);

    const log = new Y.Doc();
    resetPrepareLog(log, 1);
    prepareLinesArray(log).push(Array.from({ length: 3 * MAX_PREPARE_LOG_LINES }, (_, i) => `line ${i}`));
    const read = readPrepareLog(log);
    expect(read.lines).toHaveLength(MAX_PREPARE_LOG_LINES);
    expect(read.lines.at(-1)).toBe(`line ${3 * MAX_PREPARE_LOG_LINES - 1}`);
    expect(read.dropped).toBe(2 * MAX_PREPARE_LOG_LINES);
  });
});
