// Changes that span several entity kinds of the workspace document.
import type * as Y from 'yjs';
import { bindingsMap, listBindings } from './workspace-bindings.ts';
import { deleteEnvironment, removeSealedCopies } from './workspace-environments.ts';
import { listTasks, tasksMap } from './workspace-tasks.ts';
import { vibersMap } from './workspace-vibers.ts';

/** Deletes an environment with its bindings and task entries. */
export function removeEnvironmentCascade(doc: Y.Doc, envId: string): boolean {
  let found = false;
  doc.transact(() => {
    found = deleteEnvironment(doc, envId);
    for (const b of listBindings(doc, { environmentId: envId })) bindingsMap(doc).delete(b.id);
    for (const t of listTasks(doc, { environmentId: envId })) tasksMap(doc).delete(t.id);
  });
  return found;
}

/** Removes a Viber: its registry entry, its bindings and every ciphertext sealed to it. */
export function removeViberCascade(doc: Y.Doc, viberId: string): boolean {
  let found = false;
  doc.transact(() => {
    found = vibersMap(doc).has(viberId);
    vibersMap(doc).delete(viberId);
    for (const b of listBindings(doc, { viberId })) bindingsMap(doc).delete(b.id);
    removeSealedCopies(doc, viberId);
  });
  return found;
}
