// [V2] What the run journal decides for messages it already knows, without running anything.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  TaskStatus,
  appendMessage,
  createTask,
  getRun,
  patchTask,
  readTaskRunSummary,
  writeRun,
} from '@openviber/shared';
import { RunJournal } from './run-journal.ts';
import { TaskWorker, type TaskWorkerDeps } from './task-worker.ts';
import { tempDir } from '../test/temp-dir.ts';

/** A paused task (so nothing new starts) with messages `texts`, and a worker over it. */
function setup(texts: string[]) {
  const workspace = new Y.Doc();
  const taskDoc = new Y.Doc();
  const runDoc = new Y.Doc();
  const viberDoc = new Y.Doc();
  const taskId = createTask(workspace, { environmentId: 'env_1', title: 't', viberId: 'vbr_1' });
  patchTask(workspace, taskId, { status: TaskStatus.paused });
  const ids = texts.map((t) => appendMessage(taskDoc, t, 'u'));
  const journal = new RunJournal(tempDir());
  let idle: number | null = null;
  const deps = {
    viberId: 'vbr_1',
    workspace,
    taskDoc,
    runDoc,
    viberDoc,
    journal,
    timeoutMs: 1_000,
    prepareSettled: async () => {},
    onIdle: (u: number) => (idle = u),
    log: () => {},
  } as unknown as TaskWorkerDeps;
  const worker = new TaskWorker(taskId, deps);
  const settle = async () => {
    worker.poke();
    await worker.stop();
    return idle;
  };
  return { taskId, ids, runDoc, viberDoc, journal, settle };
}

describe('[V2] the run journal decides', () => {
  it('a started run with no recorded end is interrupted, its end journalled', async () => {
    const t = setup(['a']);
    t.journal.started(t.taskId, t.ids[0]);
    writeRun(t.runDoc, t.ids[0], { state: 'progress', startedAt: 1 });
    expect(await t.settle()).not.toBeNull();
    expect(getRun(t.runDoc, t.ids[0])?.state).toBe('interrupted');
    expect(t.journal.run(t.taskId, t.ids[0])?.outcome?.state).toBe('interrupted');
    expect(readTaskRunSummary(t.viberDoc, t.taskId)?.state).toBe('interrupted');
  });

  it('a run whose end reached our run document but not the journal keeps that end', async () => {
    const t = setup(['a']);
    t.journal.started(t.taskId, t.ids[0]);
    writeRun(t.runDoc, t.ids[0], { state: 'completed', exitCode: 0, startedAt: 1, endedAt: 2 });
    await t.settle();
    expect(getRun(t.runDoc, t.ids[0])?.state).toBe('completed');
    expect(t.journal.run(t.taskId, t.ids[0])?.outcome).toMatchObject({ state: 'completed', exitCode: 0 });
  });

  it('a known outcome the documents lost (a server that died) is published again', async () => {
    const t = setup(['a', 'b']);
    t.journal.started(t.taskId, t.ids[0], 5);
    t.journal.ended(t.taskId, t.ids[0], { state: 'error', exitCode: 3, endedAt: 9, error: 'exit 3' });
    await t.settle();
    expect(getRun(t.runDoc, t.ids[0])).toMatchObject({
      state: 'error',
      exitCode: 3,
      startedAt: 5,
      endedAt: 9,
    });
    expect(getRun(t.runDoc, t.ids[1])).toBeNull(); // never journalled, and the task is paused
  });
});
