// Who may do what with which document (design §3), as one pure function the server's auth hook calls.
import { parseDocName } from './doc-names.ts';
import type { UserId, ViberId } from './ids.ts';

export type Principal =
  { kind: 'user'; userId: UserId } | { kind: 'viber'; userId: UserId; viberId: ViberId };

export const Access = { readWrite: 'read-write', readOnly: 'read-only', refused: 'refused' } as const;
export type Access = (typeof Access)[keyof typeof Access];

/**
 * A user reads and writes their workspace and tasks and reads their Vibers' documents.
 * A Viber reads its owner's workspace and tasks and writes only its own documents.
 * Everything else, including unknown names and other users' documents, is refused.
 */
export function accessFor(principal: Principal, documentName: string): Access {
  const doc = parseDocName(documentName);
  if (!doc || doc.userId !== principal.userId) return Access.refused;
  switch (doc.kind) {
    case 'workspace':
    case 'task':
      return principal.kind === 'user' ? Access.readWrite : Access.readOnly;
    case 'viber':
    case 'prepare-log':
    case 'run-output':
    case 'changes':
      if (principal.kind === 'user') return Access.readOnly;
      return doc.viberId === principal.viberId ? Access.readWrite : Access.refused;
  }
}
