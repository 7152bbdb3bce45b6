// The workspace document as signals: environments, bindings, tasks and the Viber registry, plus the edits the app makes.
import { computed, signal } from '@preact/signals';
import {
  createEnvironment,
  createTask,
  getTask,
  listBindings,
  listEnvironments,
  listTasks,
  listVibers,
  patchEnvironment,
  patchTask,
  removeEnvironmentCascade,
  restoreTask,
  titleFromMessage,
  touchTask,
  vibersMap,
  workspaceDocName,
  deleteBinding,
  type EnvironmentCreate,
  type EnvironmentPatch,
  type TaskStatus,
} from '@openviber/shared';
import * as Y from 'yjs';
import type { DocStore } from '../sync/doc-store.ts';
import { docVersion } from './doc-version.ts';

/** How long a kept message's missing task row waits for the server's copy before it is written back. */
const TASK_ROW_SYNC_WAIT_MS = 10_000;

/** Opens `u/<uid>/workspace`; `ready` turns true once IndexedDB's copy is loaded. */
export function createWorkspaceModel(store: DocStore, userId: string) {
  const handle = store.open(workspaceDocName(userId));
  const doc = handle.doc;
  const [version, stopVersion] = docVersion(doc);
  const ready = signal(false);
  void handle.loaded.then(() => {
    ready.value = true;
  });

  const environments = computed(() => (version.value, listEnvironments(doc)));
  const bindings = computed(() => (version.value, listBindings(doc)));
  const tasks = computed(() => (version.value, listTasks(doc)));
  const vibers = computed(() => (version.value, listVibers(doc)));

  return {
    doc,
    ready,
    /** Resolves once IndexedDB's copy is loaded (`ready` as a promise). */
    loaded: handle.loaded,
    environments,
    bindings,
    tasks,
    vibers,
    createEnvironment: (input: EnvironmentCreate) => createEnvironment(doc, input),
    patchEnvironment: (id: string, patch: EnvironmentPatch) => patchEnvironment(doc, id, patch),
    deleteEnvironment: (id: string) => removeEnvironmentCascade(doc, id),
    deleteBinding: (bindingId: string) => deleteBinding(doc, bindingId),
    createTask: (input: { environmentId: string; title: string; viberId: string }) => createTask(doc, input),
    patchTask: (id: string, patch: { title?: string; status?: TaskStatus }) => patchTask(doc, id, patch),
    touchTask: (id: string) => touchTask(doc, id),
    /**
     * Lists the task a kept message belongs to, if the page that created it went away before the
     * row was on disk: after the local copy and (within 10 s) the server's have been read, so a row
     * the server holds is never written a second time. Returns whether the task is listed.
     */
    async ensureTaskListed(message: {
      taskId: string;
      environmentId: string;
      viberId: string;
      text: string;
      at: number;
    }) {
      await handle.loaded;
      if (getTask(doc, message.taskId)) return true;
      await handle.syncedOrAfter(TASK_ROW_SYNC_WAIT_MS);
      const { taskId, environmentId, viberId, text, at } = message;
      return restoreTask(doc, taskId, { environmentId, viberId, title: titleFromMessage(text) }, at);
    },
    /** Renames a Viber in the registry (the workspace is the user's to write); every device follows. */
    renameViber: (id: string, name: string) => {
      const map = vibersMap(doc).get(id);
      if (map instanceof Y.Map) map.set('name', name);
    },
    dispose() {
      stopVersion();
      handle.release();
    },
  };
}

export type WorkspaceModel = ReturnType<typeof createWorkspaceModel>;
