// [V5] What the Viber removes for a task or binding its workspace no longer has: at once for an
// explicit deletion entry, and only after a grace period of connected time for one merely absent (a
// server killed with -9 can lose a task a device just created; the device re-sends it later).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createBinding,
  createEnvironment,
  createTask,
  deleteTask,
  environmentCreateSchema,
  readObservation,
  prepareLogDocName,
  readTaskRunSummary,
  runOutputDocName,
  validate,
  writeObservation,
  writeTaskRunSummary,
} from '@openviber/shared';
import { AbsenceClock } from './absence-clock.ts';
import { ABSENT_GRACE_MS } from './limits.ts';
import { listLocalDocs, listPendingDocs, persistDoc } from './local-doc-store.ts';
import { readPrepareState, writePrepareState } from './prepare-state.ts';
import { RunJournal } from './run-journal.ts';
import { removeWhatIsGone } from './viber-cleanup.ts';
import { cloneDir, worktreeDir } from './working-dir.ts';
import { tempDir } from '../test/temp-dir.ts';

const userId = 'usr_1';
const viberId = 'vbr_1';

/** A Viber that ran a task of a bound environment: worktree, checkout, local run doc, journal, summaries. */
function setup() {
  const home = tempDir('viber-cleanup-');
  const root = join(home, 'workspaces');
  const stateDir = join(home, 'state');
  const localDir = join(home, 'docs');
  mkdirSync(stateDir, { recursive: true });
  const server = new Y.Doc();
  // What a server killed with -9 keeps: the workspace as stored before the task was created.
  const input = validate(environmentCreateSchema, { name: 'env', type: 'manual' });
  if (!input.ok) throw input.error;
  const envId = createEnvironment(server, input.value);
  const beforeTask = Y.encodeStateAsUpdate(server);
  const bindingId = createBinding(server, envId, { viberId, strategy: 'clone' } as never);
  const taskId = createTask(server, { environmentId: envId, title: 't', viberId });

  mkdirSync(join(worktreeDir(root, taskId), 'src'), { recursive: true });
  mkdirSync(cloneDir(root, bindingId), { recursive: true });
  writePrepareState(stateDir, bindingId, { setupKey: 'k', revision: 'r' });
  const runDoc = new Y.Doc();
  const stored = persistDoc(localDir, runOutputDocName(userId, viberId, taskId), runDoc);
  runDoc.getMap('runs').set('msg_1', 'the only copy of its output');
  stored.detach();
  // The binding's prepare log, kept on this Viber's disk too ([V1]), with a change not yet re-sent.
  const logDoc = new Y.Doc();
  const storedLog = persistDoc(localDir, prepareLogDocName(userId, viberId, bindingId), logDoc);
  logDoc.getArray('lines').push(['the only copy of its last line']);
  storedLog.detach();
  const viberDoc = new Y.Doc();
  writeObservation(viberDoc, bindingId, { observedGeneration: 1, state: 'ready' } as never);
  writeTaskRunSummary(viberDoc, taskId, { messageId: 'msg_1', state: 'completed', updatedAt: 1 } as never);
  const journal = new RunJournal(stateDir);
  journal.started(taskId, 'msg_1');

  let now = 1_000_000;
  const absence = new AbsenceClock(ABSENT_GRACE_MS, () => now);
  const pass = (workspace: Y.Doc, synced = true) =>
    removeWhatIsGone({
      workspace,
      viberDoc,
      userId,
      viberId,
      root,
      stateDir,
      localDir,
      journal,
      absence,
      synced,
      inUse: () => false,
    });
  /** Everything this Viber holds of the task and the binding, as booleans. */
  const held = () => ({
    worktree: existsSync(worktreeDir(root, taskId)),
    runDoc: listLocalDocs(localDir).some((n) => n.endsWith(taskId)),
    prepareLog: listLocalDocs(localDir).some((n) => n.endsWith(bindingId)),
    marked: listPendingDocs(localDir).length,
    summary: readTaskRunSummary(viberDoc, taskId) !== undefined,
    journal: journal.run(taskId, 'msg_1') !== undefined,
    checkout: existsSync(cloneDir(root, bindingId)),
    prepareState: readPrepareState(stateDir, bindingId) !== null,
    observation: readObservation(viberDoc, bindingId) !== undefined,
  });
  const all = (value: boolean) => ({
    worktree: value,
    runDoc: value,
    prepareLog: value,
    marked: value ? 2 : 0,
    summary: value,
    journal: true, // forgotten only for an explicit deletion of the task
    checkout: value,
    prepareState: value,
    observation: value,
  });
  const lost = () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, beforeTask);
    return doc;
  };
  return {
    server,
    taskId,
    held,
    all,
    pass,
    lost,
    advance: (ms: number) => (now += ms),
  };
}

describe('[V5] deletion on the Viber: explicit at once, absence only after a grace period', () => {
  it('a task and binding a crashed server lost (absent, no deletion entry) keep everything; when they come back nothing was removed', () => {
    const t = setup();
    const lost = t.lost();
    const first = t.pass(lost);
    expect(first).toMatchObject({ tasks: [], bindings: [], pending: true });
    // Still absent a while later (connected and synced, passes every few seconds): still kept.
    for (let i = 0; i < 10; i++) {
      t.advance(5_000);
      t.pass(lost);
    }
    expect(t.held()).toEqual(t.all(true));
    // The device re-sends the task (and its binding): they are back, with everything of them.
    Y.applyUpdate(lost, Y.encodeStateAsUpdate(t.server));
    t.advance(ABSENT_GRACE_MS);
    expect(t.pass(lost)).toMatchObject({ tasks: [], bindings: [], pending: false });
    expect(t.held()).toEqual(t.all(true));
  });

  it('a task with a deletion entry goes at once: worktree, local run doc, summary and journal', () => {
    const t = setup();
    deleteTask(t.server, t.taskId);
    expect(t.pass(t.server).tasks).toEqual([t.taskId]);
    expect(t.held()).toEqual({
      ...t.all(true),
      worktree: false,
      runDoc: false,
      marked: 1, // the binding's log: the binding stays
      summary: false,
      journal: false,
    });
  });

  it('an entity absent without an entry (the log was trimmed) goes after ABSENT_GRACE_MS of synced time; disconnected time does not count', () => {
    const t = setup();
    const lost = t.lost();
    t.pass(lost);
    // A day offline counts for nothing.
    t.advance(24 * 3_600_000);
    t.pass(lost, false);
    t.advance(5_000);
    t.pass(lost, false);
    expect(t.held()).toEqual(t.all(true));
    // Synced passes every 5 s until the grace period is over; a pass after a long sleep counts little.
    t.pass(lost);
    t.advance(3_600_000);
    t.pass(lost);
    expect(t.held()).toEqual(t.all(true));
    let syncedMs = 0;
    while (syncedMs <= ABSENT_GRACE_MS && !t.pass(lost).tasks.length) {
      t.advance(5_000);
      syncedMs += 5_000;
    }
    // The sleep counted at most one pass's worth (30 s), never the hour.
    expect(syncedMs).toBeGreaterThanOrEqual(ABSENT_GRACE_MS - 30_000);
    expect(syncedMs).toBeLessThanOrEqual(ABSENT_GRACE_MS);
    expect(t.held()).toEqual(t.all(false));
  });
});
