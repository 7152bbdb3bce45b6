import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunJournal } from './run-journal.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('run journal', () => {
  it('[V2] a started run is remembered by the next process, with its outcome once recorded', () => {
    const dir = tempDir();
    const first = new RunJournal(dir);
    first.started('t1', 'm1', 5);
    first.started('t1', 'm2', 6);
    first.ended('t1', 'm1', { state: 'completed', exitCode: 0, endedAt: 7, error: '' });
    first.idle('t2', 42);
    // A crash mid-append leaves a torn line: it is ignored, everything before it stays.
    appendFileSync(join(dir, 'run-journal.jsonl'), '{"k":"start","t":"t1","m":"m3');
    const next = new RunJournal(dir);
    expect(next.run('t1', 'm1')).toEqual({
      startedAt: 5,
      outcome: { state: 'completed', exitCode: 0, endedAt: 7, error: '' },
    });
    expect(next.run('t1', 'm2')).toEqual({ startedAt: 6 });
    expect(next.run('t1', 'm3')).toBeUndefined();
    expect(next.unfinishedTasks()).toEqual(['t1']);
    expect(next.idleAt('t2')).toBe(42);
  });

  it('[V2] compaction keeps every run record and bounds the file', () => {
    const dir = tempDir();
    const journal = new RunJournal(dir);
    for (let i = 0; i < 5_000; i++) journal.idle('t', i); // churn that compaction may drop
    for (let i = 0; i < 300; i++) journal.started('t', `m${i}`, i);
    const lines = readFileSync(join(dir, 'run-journal.jsonl'), 'utf8').split('\n').length;
    expect(lines).toBeLessThan(2_500);
    const reread = new RunJournal(dir);
    for (let i = 0; i < 300; i++) expect(reread.run('t', `m${i}`)).toEqual({ startedAt: i });
    expect(reread.idleAt('t')).toBe(4_999);
  });
});
