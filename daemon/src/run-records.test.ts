// [V2] A run's record is on disk before the run spawns. Whether it is fsync'd too: only when a
// machine crash could leave something for the next start to clean up (a stopped container holding
// its name); every other record skips the ~3 ms of fsyncs per spawn. fsync has no effect a test
// can see short of a crash, so the test counts the calls (the real ones still run).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const fsyncs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      fsyncs.count++;
      fs.fsyncSync(fd);
    },
  };
});

const { readRunRecords, recordRun } = await import('./run-records.ts');

describe('[V2] run records', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'run-records-'));
    fsyncs.count = 0;
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('a run with a cleanup (a container) is fsync\u2019d, file and folder, before it spawns; its pid after is not', () => {
    const run = recordRun(stateDir, 'task tsk_1', { command: 'podman', args: ['rm', '-f', 'ov-run-1'] });
    expect(fsyncs.count).toBe(2);
    const [record] = readRunRecords(stateDir);
    expect(record).toMatchObject({ runId: run.runId, cleanup: { command: 'podman' } });
    run.started(process.pid);
    expect(fsyncs.count).toBe(2);
    expect(JSON.parse(readFileSync(join(stateDir, 'running', `${run.runId}.json`), 'utf8'))).toMatchObject({
      pgid: process.pid,
    });
    run.forget();
    expect(readRunRecords(stateDir)).toEqual([]);
  });

  it('a run with nothing to clean up after a machine crash is written, not fsync\u2019d', () => {
    const run = recordRun(stateDir, 'task tsk_2');
    run.started(process.pid);
    expect(fsyncs.count).toBe(0);
    expect(readRunRecords(stateDir).map((r) => r.runId)).toEqual([run.runId]);
  });
});
