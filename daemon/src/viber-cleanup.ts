// Deletion on the Viber ([V5]): what this Viber holds for a binding or task the workspace no longer
// has — its checkout or worktree, its state file, its local run document, its observation and run
// summary in our own document — is removed once nothing uses it any more.
//
// "No longer has" is two different facts. An entry in the deletions log ([D7]) is proof: acted on at
// once. An entity merely absent is not: the log may have been trimmed past MAX_DELETIONS while we
// were offline, but a server killed with -9 may also have lost a task a device had just created
// (acknowledged from memory, never stored), and after our own restart we would see it absent until
// that device re-sends it; deleting its worktree would delete the only copy of its output. So an
// absent entity goes only after it stayed absent for ABSENT_GRACE_MS of time connected and synced
// (absence-clock.ts). Time rather than "two syncs around a reconnect": reconnects can follow each
// other within a second (a server restarted twice, a flaky network), which would leave the device no
// time; ten minutes with the server give it the time to come back, and cost only disk kept longer.
// The run journal forgets a task only for an explicit deletion: a deleted task never comes back,
// while one a crashed server lost might.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as Y from 'yjs';
import {
  DeletedKind,
  DeletionSet,
  listBindings,
  listDeletions,
  listObservations,
  listTaskRunSummaryIds,
  listTasks,
  parseDocName,
  prepareLogDocName,
  removeTaskRunSummaries,
  runOutputDocName,
  changesDocName,
} from '@openviber/shared';
import type { AbsenceClock } from './absence-clock.ts';
import { localObservations } from './local-observations.ts';
import { forgetTranscript } from './transcript.ts';
import { listLocalDocs, removeLocalDoc } from './local-doc-store.ts';
import { forgetPrepareState } from './prepare-state.ts';
import type { RunJournal } from './run-journal.ts';
import { cloneDir, scratchDir, worktreeDir } from './working-dir.ts';

export interface CleanupDeps {
  workspace: Y.Doc;
  viberDoc: Y.Doc;
  userId: string;
  viberId: string;
  root: string;
  stateDir: string;
  localDir: string;
  journal: RunJournal;
  /** How long absent entities have been absent (kept between passes). */
  absence: AbsenceClock;
  /** The workspace is connected and synced now (only then does absence count). */
  synced: boolean;
  /** Still in use (an open task, a running prepare): left for a later pass. */
  inUse(kind: 'task' | 'binding', id: string): boolean;
}

export interface CleanupResult {
  bindings: string[];
  tasks: string[];
  /** Something gone was still in use, or is absent and waits out its grace period: call again later. */
  pending: boolean;
  /** Something gone was still in use (a run or prepare that may still hold its environment's volume). */
  busy: boolean;
}

const entries = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Removes everything this Viber holds for bindings and tasks that are gone; returns what it removed. */
export function removeWhatIsGone(deps: CleanupDeps): CleanupResult {
  const { workspace, viberDoc, viberId, root } = deps;
  const liveBindings = new Set<string>(listBindings(workspace, { viberId }).map((b) => b.id));
  const liveTasks = new Set<string>(listTasks(workspace, { viberId }).map((t) => t.id));
  const deleted = new DeletionSet(listDeletions(workspace));

  const localRuns = new Map<string, string>();
  const localChanges = new Map<string, string>();
  const localLogs = new Map<string, string>();
  for (const name of listLocalDocs(deps.localDir)) {
    const ref = parseDocName(name);
    if (ref?.kind === 'prepare-log' && ref.viberId === viberId) localLogs.set(ref.bindingId, name);
    if (ref?.kind === 'run-output' && ref.viberId === viberId) localRuns.set(ref.taskId, name);
    if (ref?.kind === 'changes' && ref.viberId === viberId) localChanges.set(ref.taskId, name);
  }
  const heldBindings = new Set([
    ...listObservations(viberDoc).keys(),
    ...entries(join(root, 'checkouts')),
    ...localLogs.keys(),
  ]);
  const heldTasks = new Set([
    ...listTaskRunSummaryIds(viberDoc),
    ...entries(join(root, 'worktrees')),
    ...localRuns.keys(),
    ...localChanges.keys(),
  ]);

  const result: CleanupResult = { bindings: [], tasks: [], pending: false, busy: false };
  deps.absence.tick(deps.synced);
  /** Gone for good: deleted by an entry, or absent for the grace period. */
  const gone = (kind: DeletedKind, id: string) => {
    if (deleted.has(kind, id) || deps.absence.expired(`${kind}:${id}`)) return true;
    result.pending = true;
    return false;
  };
  for (const id of heldBindings) {
    if (liveBindings.has(id) || !gone(DeletedKind.binding, id)) continue;
    if (deps.inUse('binding', id)) {
      result.pending = result.busy = true;
      continue;
    }
    // Only the clone under our root is ours to delete; an `existing` path is the user's folder.
    rmSync(cloneDir(root, id), { recursive: true, force: true });
    forgetPrepareState(deps.stateDir, id);
    removeLocalDoc(deps.localDir, localLogs.get(id) ?? prepareLogDocName(deps.userId, viberId, id));
    result.bindings.push(id);
  }
  for (const id of heldTasks) {
    if (liveTasks.has(id) || !gone(DeletedKind.task, id)) continue;
    if (deps.inUse('task', id)) {
      result.pending = result.busy = true;
      continue;
    }
    const tree = worktreeDir(root, id);
    if (existsSync(tree)) rmSync(tree, { recursive: true, force: true });
    rmSync(join(deps.stateDir, 'worktrees', id), { force: true }); // its "added whole" record
    // What computing its changes left (a crash mid-way), and the scratch file of older versions.
    rmSync(scratchDir(root, id), { recursive: true, force: true });
    rmSync(join(root, '.changes', `${id}.index`), { force: true });
    removeLocalDoc(deps.localDir, localRuns.get(id) ?? runOutputDocName(deps.userId, viberId, id));
    removeLocalDoc(deps.localDir, localChanges.get(id) ?? changesDocName(deps.userId, viberId, id));
    result.tasks.push(id);
  }
  for (const id of deps.journal.taskIds())
    if (deleted.has(DeletedKind.task, id) && !deps.inUse('task', id)) {
      deps.journal.forget(id);
      forgetTranscript(deps.stateDir, id);
    }
  // Our own document last: if we crash before this, the next pass finds the entries and finishes.
  viberDoc.transact(() => {
    localObservations(deps.stateDir).remove(viberDoc, result.bindings);
    removeTaskRunSummaries(viberDoc, result.tasks);
  });
  return result;
}
