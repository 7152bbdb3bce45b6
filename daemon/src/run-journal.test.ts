import { appendFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FORGOTTEN_TASKS, RunJournal } from './run-journal.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('run journal', () => {
  it('[V2] a torn last line (a crash mid-append) is cut off before the next append: a start recorded after it survives a restart', () => {
    const dir = tempDir();
    const file = join(dir, 'run-journal.jsonl');
    writeFileSync(file, '{"k":"start","t":"t1","m":"m1","at":1}\n{"k":"end","t":"t1","m":"m1","sta');
    const journal = new RunJournal(dir);
    journal.started('t1', 'm2');
    journal.close();
    const again = new RunJournal(dir);
    expect(again.run('t1', 'm2')).toBeDefined(); // else the message would run a second time
    expect(again.run('t1', 'm1')?.outcome).toBeUndefined();
    again.close();
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .every((l) => JSON.parse(l)),
    ).toBe(true);
  });

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

  it('[V5] a deleted task stays forgotten across restarts and compactions; records replayed for it are not taken', () => {
    const dir = tempDir();
    const journal = new RunJournal(dir);
    journal.started('gone', 'm1', 1);
    journal.ended('gone', 'm1', { state: 'completed', exitCode: 0, endedAt: 2, error: '' });
    journal.started('kept', 'm1', 3);
    journal.forget('gone');
    expect(journal.wasForgotten('gone')).toBe(true);
    expect(journal.wasForgotten('kept')).toBe(false);
    // A stale line for it (an older copy of the file, a replay) does not bring it back.
    appendFileSync(join(dir, 'run-journal.jsonl'), '{"k":"idle","t":"gone","u":9}\n');
    const reread = new RunJournal(dir);
    expect(reread.wasForgotten('gone')).toBe(true);
    expect(reread.run('gone', 'm1')).toBeUndefined();
    expect(reread.taskIds()).toEqual(['kept']);
    // Through compactions (churn forces several), the tombstone is kept; the file stays bounded.
    for (let i = 0; i < 6_000; i++) reread.idle('kept', i);
    const compacted = new RunJournal(dir);
    expect(compacted.wasForgotten('gone')).toBe(true);
    expect(compacted.run('kept', 'm1')).toEqual({ startedAt: 3 });
    expect(readFileSync(join(dir, 'run-journal.jsonl'), 'utf8').split('\n').length).toBeLessThan(2_500);
  });

  it(`[V5] at most ${MAX_FORGOTTEN_TASKS} deleted tasks are remembered; the oldest go first`, () => {
    const dir = tempDir();
    const max = 100; // MAX_FORGOTTEN_TASKS (50,000) in production, by the same code
    const journal = new RunJournal(dir, { maxForgotten: max });
    for (let i = 0; i <= max; i++) {
      journal.started(`t${i}`, 'm', i);
      journal.forget(`t${i}`);
    }
    const reread = new RunJournal(dir, { maxForgotten: max });
    expect(reread.wasForgotten('t0')).toBe(false);
    expect(reread.wasForgotten('t1')).toBe(true);
    expect(reread.wasForgotten(`t${max}`)).toBe(true);
  });

  it('[V2] a full disk during compaction loses nothing: the records stay, the half copy goes, appends go on', () => {
    const dir = tempDir();
    const journal = new RunJournal(dir);
    journal.started('t', 'm0', 1);
    // Compaction writes a temp copy first; here that copy lands on /dev/full (every write: ENOSPC).
    const tmp = join(dir, `run-journal.jsonl.${process.pid}.tmp`);
    symlinkSync('/dev/full', tmp);
    for (let i = 0; i < 2_100; i++) journal.idle('t', i); // past the compaction threshold
    expect(existsSync(tmp)).toBe(false); // the failed copy is removed, not left to fill the disk
    journal.started('t', 'm1', 2);
    const reread = new RunJournal(dir);
    expect(reread.run('t', 'm0')).toEqual({ startedAt: 1 });
    expect(reread.run('t', 'm1')).toEqual({ startedAt: 2 });
    expect(reread.idleAt('t')).toBe(2_099);
  });
});
