// Who may say what in awareness ([S9]). Hocuspocus drops a read-only peer's document updates but
// applies and relays its awareness, so a user could make an offline Viber look online on the
// Viber's document, and a Viber could write arbitrary awareness into the workspace. Here:
// - a read-only connection's awareness is dropped entirely (not applied, not relayed);
// - the `viber` field (presence, [S7]) is kept only from a Viber's own connection on its own document.
// - a connection introduces at most MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION client ids; records of
//   clients that left are dropped after AWARENESS_RECORD_TTL_MS (pruneAwarenessRecords, swept by
//   connection-limits.ts), so what made-up ids cost is bounded.
// Awareness that arrives from another process through Redis was already filtered there.
//
// Awareness from a peer is applied here directly (applyAwarenessDirectly, on each document's
// Connection: socket-guard.ts), not by Hocuspocus: its handler decodes every renewal into a scratch
// Y.Doc and Awareness — a fresh document whose uuid takes 31 getRandomValues calls — runs the hook
// on that, encodes it again and applies it: 9% of a server's busy time with 3,000 users, 13% of a
// reconnect storm's (profiles, bench/ANALYSIS.md). The direct path reads the update's entries,
// filters them by the same rule (guardStates), and applies the bytes as they came when nothing was
// filtered. Anything it cannot read takes Hocuspocus's path (and hook), which closes the connection.
// Unlike Hocuspocus's path it does not wait behind the connection's queued sync messages (order
// between awareness and document updates means nothing) and skips beforeHandleMessage, whose only
// use here is the storage quota: awareness is never stored.
import { MessageType, type beforeHandleAwarenessPayload, type Connection } from '@hocuspocus/server';
import { VIBER_PRESENCE_FIELD, viberDocName } from '@openviber/shared';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import type { Awareness } from 'y-protocols/awareness';
import type { AuthedPrincipal } from '../auth/auth-service.ts';
import {
  AWARENESS_RECORD_TTL_MS,
  MAX_AWARENESS_STATE_CHARS,
  MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION,
} from '../limits.ts';

type State = Record<string, unknown> | null;

/** The [S9] rule on decoded states, in place; true when it removed or changed anything. */
function guardStates(
  states: Map<number, State>,
  readOnly: boolean,
  documentName: string,
  principal: AuthedPrincipal | undefined,
): boolean {
  if (readOnly) {
    const had = states.size > 0;
    states.clear();
    return had;
  }
  const ownViberDoc =
    principal?.kind === 'viber' && documentName === viberDocName(principal.userId, principal.viberId);
  if (ownViberDoc) return false;
  let changed = false;
  for (const state of states.values())
    if (state && VIBER_PRESENCE_FIELD in state) {
      delete state[VIBER_PRESENCE_FIELD];
      changed = true;
    }
  return changed;
}

/** The hook on Hocuspocus's own path (messages queued before their document authenticated). */
export function guardAwareness({
  connection,
  context,
  documentName,
  states,
}: beforeHandleAwarenessPayload<{ principal?: AuthedPrincipal }>): void {
  if (!connection) return;
  guardStates(states as Map<number, State>, connection.readOnly, documentName, context?.principal);
  const awareness = (connection.document as { awareness?: Awareness } | undefined)?.awareness;
  if (awareness)
    for (const id of [...states.keys()]) if (!admitClient(connection, awareness, id)) states.delete(id);
}

/** The ids each connection introduced to its document's awareness. */
const introduced = new WeakMap<Connection, Set<number>>();

/**
 * Whether `connection` may write awareness entry `clientId`: any id the document's awareness has a
 * record of (a device's own, or a removal of one that timed out for it), and up to
 * MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION new ones. A stranger's 500,000 made-up ids in one 8 MiB
 * frame used to stay in memory (y-protocols keeps a record per id, null states too) while the
 * document stayed loaded.
 */
function admitClient(connection: Connection, awareness: Awareness, clientId: number): boolean {
  if (awareness.meta.has(clientId)) return true;
  let ids = introduced.get(connection);
  if (!ids) introduced.set(connection, (ids = new Set()));
  if (ids.has(clientId)) return true;
  if (ids.size >= MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION) return false;
  ids.add(clientId);
  return true;
}

/**
 * Drops the records y-protocols keeps of awareness clients that left (no state) more than
 * AWARENESS_RECORD_TTL_MS ago; it keeps them for good, so a document loaded for weeks while devices
 * come and go would grow by one per page load. A message that old from a departed client is not
 * expected; if one came, its state would show until the awareness timeout removes it again.
 */
export function pruneAwarenessRecords(awareness: Awareness, now = Date.now()): number {
  let pruned = 0;
  for (const [clientId, meta] of awareness.meta)
    if (
      clientId !== awareness.clientID &&
      !awareness.states.has(clientId) &&
      now - meta.lastUpdated > AWARENESS_RECORD_TTL_MS
    ) {
      awareness.meta.delete(clientId);
      pruned++;
    }
  return pruned;
}

/** A Hocuspocus awareness message's address (`name`, or `name\0session`) and update; null for any other. */
export function readAwarenessMessage(data: Uint8Array): { address: string; update: Uint8Array } | null {
  try {
    const decoder = decoding.createDecoder(data);
    const address = decoding.readVarString(decoder);
    if (decoding.readVarUint(decoder) !== MessageType.Awareness) return null;
    return { address, update: decoding.readVarUint8Array(decoder) };
  } catch {
    return null; // Hocuspocus's own handler decides what a malformed message is
  }
}

interface Entry {
  clientId: number;
  clock: number;
  json: string;
}

/** An awareness update's entries (y-protocols' encoding), or null when it is not one. */
function readEntries(update: Uint8Array): Entry[] | null {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++)
      entries.push({
        clientId: decoding.readVarUint(decoder),
        clock: decoding.readVarUint(decoder),
        json: decoding.readVarString(decoder),
      });
    return decoding.hasContent(decoder) ? null : entries;
  } catch {
    return null;
  }
}

function writeEntries(entries: Entry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.clientId);
    encoding.writeVarUint(encoder, e.clock);
    encoding.writeVarString(encoder, e.json);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * Applies an awareness message addressed to `connection` (one document's Connection on a socket,
 * authenticated) to its document; returns false, touching nothing, for any other message. Every
 * message of the connection passes here, those queued while it authenticated too (the first
 * state of every device in a reconnect storm).
 */
export function applyAwarenessDirectly(connection: Connection, data: Uint8Array): boolean {
  const message = readAwarenessMessage(data);
  if (!message) return false;
  let { update } = message;
  const separator = message.address.indexOf('\0'); // a session-aware provider's `name\0session`
  const documentName = separator === -1 ? message.address : message.address.slice(0, separator);
  if (documentName !== connection.document.name) return false;
  let entries = readEntries(update);
  if (!entries) return false;
  if (connection.readOnly) return true;
  const { awareness } = connection.document;
  // A state is a few hundred bytes (a device's presence); one of megabytes held ~100 MB per frame.
  const admitted = entries.filter(
    (e) => e.json.length <= MAX_AWARENESS_STATE_CHARS && admitClient(connection, awareness, e.clientId),
  );
  if (admitted.length < entries.length) {
    if (admitted.length === 0) return true;
    entries = admitted;
    update = writeEntries(entries);
  }
  const states = new Map<number, State>();
  const filtered = entries.filter((e) => e.json.includes(`"${VIBER_PRESENCE_FIELD}"`));
  if (filtered.length > 0) {
    try {
      for (const e of filtered) states.set(e.clientId, JSON.parse(e.json) as State);
    } catch {
      return false; // Hocuspocus's path closes the connection over it
    }
    const principal = (connection.context as { principal?: AuthedPrincipal } | undefined)?.principal;
    if (guardStates(states, false, documentName, principal)) {
      for (const e of filtered) e.json = JSON.stringify(states.get(e.clientId) ?? null);
      update = writeEntries(entries);
    }
  }
  try {
    applyAwarenessUpdate(connection.document.awareness, update, { source: 'connection', connection });
  } catch {
    return false; // a state that is not JSON: Hocuspocus's path closes the connection over it
  }
  return true;
}
