// Who may say what in awareness ([S9]). Hocuspocus drops a read-only peer's document updates but
// applies and relays its awareness, so a user could make an offline Viber look online on the
// Viber's document, and a Viber could write arbitrary awareness into the workspace. Here:
// - a read-only connection's awareness is dropped entirely (not applied, not relayed);
// - the `viber` field (presence, [S7]) is kept only from a Viber's own connection on its own document.
// Awareness that arrives from another process through Redis was already filtered there.
import type { beforeHandleAwarenessPayload } from '@hocuspocus/server';
import { VIBER_PRESENCE_FIELD, viberDocName } from '@openviber/shared';
import type { AuthedPrincipal } from '../auth/auth-service.ts';

export function guardAwareness({
  connection,
  context,
  documentName,
  states,
}: beforeHandleAwarenessPayload<{ principal?: AuthedPrincipal }>): void {
  if (!connection) return;
  if (connection.readOnly) {
    states.clear();
    return;
  }
  const p = context?.principal;
  const ownViberDoc = p?.kind === 'viber' && documentName === viberDocName(p.userId, p.viberId);
  if (ownViberDoc) return;
  for (const state of states.values())
    if (state && VIBER_PRESENCE_FIELD in state) delete state[VIBER_PRESENCE_FIELD];
}
