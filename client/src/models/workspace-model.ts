// The workspace document as signals: environments, bindings, tasks and the Viber registry, plus the edits the app makes.
import { computed, signal } from '@preact/signals';
import {
  createEnvironment,
  createTask,
  listBindings,
  listEnvironments,
  listTasks,
  listVibers,
  patchEnvironment,
  patchTask,
  removeEnvironmentCascade,
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
