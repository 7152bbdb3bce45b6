// Changes that span several entity kinds of the workspace document.
import type * as Y from 'yjs';
import { deleteBinding, listBindings } from './workspace-bindings.ts';
import { DeletedKind, recordDeletion } from './workspace-deletions.ts';
import { deleteEnvironment, removeSealedCopies } from './workspace-environments.ts';
import { deleteTask, listTasks } from './workspace-tasks.ts';
import { vibersMap } from './workspace-vibers.ts';

/**
 * Deletes an environment with its bindings and task entries, and records each in the deletions log
 * ([D7]): the server then removes their documents, each Viber their checkouts.
 */
export function removeEnvironmentCascade(doc: Y.Doc, envId: string): boolean {
  let found = false;
  doc.transact(() => {
    found = deleteEnvironment(doc, envId);
    for (const b of listBindings(doc, { environmentId: envId })) deleteBinding(doc, b.id);
    for (const t of listTasks(doc, { environmentId: envId })) deleteTask(doc, t.id);
  });
  return found;
}

/** Removes a Viber: its registry entry, its bindings and every ciphertext sealed to it; logs each ([D7]). */
export function removeViberCascade(doc: Y.Doc, viberId: string): boolean {
  let found = false;
  doc.transact(() => {
    found = vibersMap(doc).has(viberId);
    vibersMap(doc).delete(viberId);
    recordDeletion(doc, DeletedKind.viber, viberId);
    for (const b of listBindings(doc, { viberId })) deleteBinding(doc, b.id);
    removeSealedCopies(doc, viberId);
  });
  return found;
}
