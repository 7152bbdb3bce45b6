// [S9] on the direct awareness path: what a peer's renewal does to its document's awareness, with
// real y-protocols Awareness instances on both sides and the message framed as a provider frames it.
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { viberDocName, workspaceDocName } from '@openviber/shared';
import type { Connection, Hocuspocus } from '@hocuspocus/server';
import { applyAwarenessDirectly, pruneAwarenessRecords } from './awareness-guard.ts';
import {
  AWARENESS_RECORD_TTL_MS,
  MAX_AWARENESS_STATE_CHARS,
  MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION,
} from '../limits.ts';
import { RefusalLog } from './refusal-log.ts';
import { guardConnections } from './socket-guard.ts';
import { SyncBudget } from './sync-budget.ts';

const WORKSPACE = workspaceDocName('usr_1');
const VIBER_DOC = viberDocName('usr_1', 'vbr_1');
const USER = { kind: 'user', userId: 'usr_1', tokenHash: 'h' };
const VIBER = { kind: 'viber', userId: 'usr_1', viberId: 'vbr_1', tokenHash: 'h' };

/** A peer's awareness message for `name` (Hocuspocus framing: name, type 1, the update). */
function renewal(name: string, state: Record<string, unknown>, type = 1) {
  const peer = new Awareness(new Y.Doc());
  peer.setLocalState(state);
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  encoding.writeVarUint(encoder, type);
  encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(peer, [peer.clientID]));
  return { data: encoding.toUint8Array(encoder), clientId: peer.clientID };
}

/** One document's Connection (as far as the path reads it), authenticated as `principal`. */
function connectionTo(name: string, principal: object, readOnly = false) {
  const awareness = new Awareness(new Y.Doc());
  const connection = {
    readOnly,
    context: { principal },
    document: { name, awareness },
  } as unknown as Connection;
  const origins: unknown[] = [];
  awareness.on('update', (_change: unknown, origin: unknown) => origins.push(origin));
  const stateOf = (clientId: number) => awareness.getStates().get(clientId);
  const apply = (data: Uint8Array) => applyAwarenessDirectly(connection, data);
  return { connection, origins, stateOf, apply };
}

describe('[S9] awareness applied directly', () => {
  it("applies a peer's renewal to its document with the connection as origin", () => {
    const s = connectionTo(WORKSPACE, USER);
    const { data, clientId } = renewal(WORKSPACE, { user: { name: 'ana' }, cursor: 3 });
    expect(s.apply(data)).toBe(true);
    expect(s.stateOf(clientId)).toEqual({ user: { name: 'ana' }, cursor: 3 });
    expect(s.origins).toEqual([{ source: 'connection', connection: s.connection }]);
  });

  it('[S9] drops a state larger than MAX_AWARENESS_STATE_CHARS (one frame of them held ~100 MB); a normal one beside it is kept', () => {
    const s = connectionTo(WORKSPACE, USER);
    const big = renewal(WORKSPACE, { user: { name: 'x'.repeat(MAX_AWARENESS_STATE_CHARS) } });
    expect(s.apply(big.data)).toBe(true);
    expect(s.stateOf(big.clientId)).toBeUndefined();
    const normal = renewal(WORKSPACE, { user: { name: 'ana' }, cursor: 1 });
    expect(s.apply(normal.data)).toBe(true);
    expect(s.stateOf(normal.clientId)).toEqual({ user: { name: 'ana' }, cursor: 1 });
  });

  it("drops a read-only connection's awareness: a user cannot make an offline Viber look online", () => {
    const s = connectionTo(VIBER_DOC, USER, true);
    const { data, clientId } = renewal(VIBER_DOC, { viber: { version: '1', viberId: 'vbr_1' } });
    expect(s.apply(data)).toBe(true);
    expect(s.stateOf(clientId)).toBeUndefined();
    expect(s.origins).toEqual([]);
  });

  it('keeps the viber field only from a Viber on its own document; strips it elsewhere, other fields kept', () => {
    const presence = { viber: { version: '1', viberId: 'vbr_1' }, user: { name: 'box' } };
    const own = connectionTo(VIBER_DOC, VIBER);
    const a = renewal(VIBER_DOC, presence);
    expect(own.apply(a.data)).toBe(true);
    expect(own.stateOf(a.clientId)).toEqual(presence);

    const workspace = connectionTo(WORKSPACE, VIBER); // a Viber writing presence into the workspace
    const b = renewal(WORKSPACE, presence);
    expect(workspace.apply(b.data)).toBe(true);
    expect(workspace.stateOf(b.clientId)).toEqual({ user: { name: 'box' } });

    const user = connectionTo(VIBER_DOC, USER); // a user's device claiming to be the Viber
    const c = renewal(VIBER_DOC, { viber: { version: '1', viberId: 'vbr_1' }, note: '"viber"' });
    expect(user.apply(c.data)).toBe(true);
    expect(user.stateOf(c.clientId)).toEqual({ note: '"viber"' });
  });

  it('finds a session-aware provider\u2019s document (name\\0session)', () => {
    const s = connectionTo(WORKSPACE, USER);
    const { data, clientId } = renewal(`${WORKSPACE}\0session-1`, { cursor: 1 });
    expect(s.apply(data)).toBe(true);
    expect(s.stateOf(clientId)).toEqual({ cursor: 1 });
  });

  it("leaves to Hocuspocus's path what it does not handle, touching nothing", () => {
    const s = connectionTo(WORKSPACE, USER);
    const sync = renewal(WORKSPACE, { cursor: 1 }, 0).data; // a sync message
    const other = renewal(taskName(), { cursor: 1 }).data; // another document's
    const broken = new Uint8Array([...renewal(WORKSPACE, { a: 1 }).data.slice(0, -3)]);
    for (const data of [sync, other, broken]) expect(s.apply(data)).toBe(false);
    expect(s.origins).toEqual([]);
  });

  it('a state that is not JSON goes to Hocuspocus (which closes the connection), not into the document', () => {
    const s = connectionTo(WORKSPACE, USER);
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, WORKSPACE);
    encoding.writeVarUint(encoder, 1);
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 1);
    encoding.writeVarUint(update, 42);
    encoding.writeVarUint(update, 1);
    encoding.writeVarString(update, '{"viber": not json');
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
    expect(s.apply(encoding.toUint8Array(encoder))).toBe(false);
    expect(s.stateOf(42)).toBeUndefined();
  });
});

function taskName() {
  return 'u/usr_1/task/tsk_1';
}

describe('[S9] every document connection takes the direct path (socket-guard wiring)', () => {
  it('a Connection the socket creates — for queued messages too — applies awareness itself and hands the rest to Hocuspocus', () => {
    const awareness = new Awareness(new Y.Doc());
    const handedOn: Uint8Array[] = [];
    // Hocuspocus's ClientConnection as guardConnections meets it: it creates one Connection per
    // document, and hands that Connection the messages queued while the document authenticated.
    const socket = {
      handleMessage: () => undefined,
      createConnection: () => ({
        readOnly: false,
        context: { principal: USER },
        document: { name: WORKSPACE, awareness },
        handleMessage: (data: Uint8Array) => handedOn.push(data),
      }),
    };
    const hocuspocus = { handleConnection: () => socket } as unknown as Hocuspocus;
    guardConnections(hocuspocus, new RefusalLog(() => undefined), new SyncBudget());
    hocuspocus.handleConnection({ emit: () => true } as never, { headers: {} } as never, {});
    const connection = socket.createConnection();

    const { data, clientId } = renewal(WORKSPACE, { cursor: 7 });
    connection.handleMessage(data);
    expect(awareness.getStates().get(clientId)).toEqual({ cursor: 7 });
    expect(handedOn).toEqual([]);
    const sync = renewal(WORKSPACE, { cursor: 1 }, 0).data;
    connection.handleMessage(sync);
    expect(handedOn).toEqual([sync]);
  });

  it('[S9] a connection introduces at most MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION client ids; made-up ids past it cost nothing', () => {
    const s = connectionTo(WORKSPACE, USER);
    const awareness = (s.connection.document as unknown as { awareness: Awareness }).awareness;
    const before = awareness.meta.size; // the document's own (server) client
    // Another device, already known to the document (its own connection introduced it).
    const other = connectionTo(WORKSPACE, USER);
    const known = renewal(WORKSPACE, { user: { name: 'bo' } });
    other.connection.document = s.connection.document;
    expect(other.apply(known.data)).toBe(true);

    // 100,000 made-up ids in one message, null states (no broadcast, but a record each in y-protocols).
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, WORKSPACE);
    encoding.writeVarUint(encoder, 1);
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 100_000);
    for (let id = 1; id <= 100_000; id++) {
      encoding.writeVarUint(update, id);
      encoding.writeVarUint(update, 1);
      encoding.writeVarString(update, 'null');
    }
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
    expect(s.apply(encoding.toUint8Array(encoder))).toBe(true);
    expect(awareness.meta.size).toBe(before + 1 + MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION);

    // Its own device still renews, another connection still introduces its own, and a removal of a
    // device the document knows (one that timed out for this peer) is still taken.
    const own = renewal(WORKSPACE, { user: { name: 'ana' } });
    expect(s.apply(own.data)).toBe(true);
    expect(s.stateOf(own.clientId)).toBeUndefined(); // the cap was spent on made-up ids
    const third = connectionTo(WORKSPACE, USER);
    third.connection.document = s.connection.document;
    const fresh = renewal(WORKSPACE, { user: { name: 'cy' } });
    expect(third.apply(fresh.data)).toBe(true);
    expect(awareness.getStates().get(fresh.clientId)).toEqual({ user: { name: 'cy' } });
    const removal = encoding.createEncoder();
    encoding.writeVarString(removal, WORKSPACE);
    encoding.writeVarUint(removal, 1);
    const entries = encoding.createEncoder();
    encoding.writeVarUint(entries, 1);
    encoding.writeVarUint(entries, known.clientId);
    encoding.writeVarUint(entries, 99);
    encoding.writeVarString(entries, 'null');
    encoding.writeVarUint8Array(removal, encoding.toUint8Array(entries));
    expect(s.apply(encoding.toUint8Array(removal))).toBe(true);
    expect(awareness.getStates().has(known.clientId)).toBe(false);
  });

  it('records of clients that left are dropped after AWARENESS_RECORD_TTL_MS; present ones are kept', () => {
    const s = connectionTo(WORKSPACE, USER);
    const awareness = (s.connection.document as unknown as { awareness: Awareness }).awareness;
    const staying = renewal(WORKSPACE, { user: { name: 'ana' } });
    const leaving = renewal(WORKSPACE, { user: { name: 'bo' } });
    s.apply(staying.data);
    s.apply(leaving.data);
    awareness.states.delete(leaving.clientId); // as removeAwarenessStates leaves it: the record stays
    const now = Date.now();
    expect(pruneAwarenessRecords(awareness, now)).toBe(0);
    awareness.setLocalState(null); // the server's own client, as Hocuspocus leaves it: never pruned
    expect(pruneAwarenessRecords(awareness, now + AWARENESS_RECORD_TTL_MS + 1)).toBe(1);
    expect([...awareness.meta.keys()].sort()).toEqual([awareness.clientID, staying.clientId].sort());
  });
});
