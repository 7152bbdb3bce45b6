// A task's artifacts: the changes its Viber published (the Viber's `…/changes/<taskId>` document,
// read-only) and pushing them to a branch (a request in the task document, answered in the changes doc).
import { computed } from '@preact/signals';
import {
  changesDocName,
  latestPushRequest,
  pushView,
  readChanges,
  readPushResult,
  taskDocName,
  type PushView,
  type TaskChanges,
} from '@openviber/shared';
import type { DocStore } from '../sync/doc-store.ts';
import { docVersion } from './doc-version.ts';
import type { SigningModel } from './signing-model.ts';

/** Sums of the per-file counts, shown as "N files changed, +a −d". */
export function changeTotals(changes: TaskChanges) {
  let additions = 0;
  let deletions = 0;
  for (const f of changes.files) {
    additions += f.additions;
    deletions += f.deletions;
  }
  return { files: changes.files.length, additions, deletions };
}

export function createChangesModel(store: DocStore, userId: string, taskId: string, viberId: string) {
  const task = store.open(taskDocName(userId, taskId));
  const [taskVersion, stopTask] = docVersion(task.doc);
  const published = viberId ? store.open(changesDocName(userId, viberId, taskId)) : null;
  const [changesVersion, stopChanges] = published ? docVersion(published.doc) : [null, () => undefined];

  const changes = computed<TaskChanges | null>(() => {
    void changesVersion?.value;
    return published ? readChanges(published.doc) : null;
  });
  const push = computed<PushView>(() => {
    void taskVersion.value;
    void changesVersion?.value;
    return pushView(latestPushRequest(task.doc), published ? readPushResult(published.doc) : null);
  });

  return {
    changes,
    push,
    /**
     * Writes the request into the task document (offline too: it syncs, then the Viber pushes), signed
     * by this device's key when it holds it ([A3]: a pinned Viber pushes only on a signed request).
     */
    requestPush: (
      signing: Pick<SigningModel, 'requestPush'>,
      input: { environmentId: string; branch: string; commitMessage?: string },
    ) => signing.requestPush(task.doc, { taskId, viberId, ...input }),
    dispose() {
      stopTask();
      stopChanges();
      task.release();
      published?.release();
    },
  };
}

export type ChangesModel = ReturnType<typeof createChangesModel>;
