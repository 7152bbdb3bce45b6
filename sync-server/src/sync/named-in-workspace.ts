// [S10] A Viber writes only documents of things that exist in its owner's workspace: the run output
// and changes of a task, the prepare log of a binding. (A user's own new task documents are let through before
// their task reaches the server — a device that created a task offline sends both, in either order —
// and the per-user document quota bounds them; deleted entities are refused by the DeletionCollector.)
import { bindingsMap, parseDocName, tasksMap, workspaceDocName } from '@openviber/shared';
import type * as Y from 'yjs';
import type { AuthedPrincipal } from '../auth/auth-service.ts';

/** Reads the loaded workspace (DocGateway.read). */
type ReadWorkspace = <T>(name: string, fn: (doc: Y.Doc) => T) => Promise<T>;

/** False when a Viber opens a run or prepare document of a task or binding its workspace does not hold. */
export async function namedInWorkspace(
  read: ReadWorkspace,
  principal: AuthedPrincipal,
  documentName: string,
): Promise<boolean> {
  if (principal.kind !== 'viber') return true;
  const ref = parseDocName(documentName);
  const workspace = workspaceDocName(principal.userId);
  if (ref?.kind === 'run-output' || ref?.kind === 'changes')
    return read(workspace, (doc) => tasksMap(doc).has(ref.taskId));
  if (ref?.kind === 'prepare-log') return read(workspace, (doc) => bindingsMap(doc).has(ref.bindingId));
  return true;
}
