// [S9] on the direct awareness path: what a peer's renewal does to its document's awareness, with
// real y-protocols Awareness instances on both sides and the message framed as a provider frames it.
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { viberDocName, workspaceDocName } from '@openviber/shared';
import { applyAwarenessDirectly } from './awareness-guard.ts';

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

/** A socket (Hocuspocus's ClientConnection, as far as the path reads it) with one authenticated document. */
function socketWith(name: string, principal: object, readOnly = false) {
  const awareness = new Awareness(new Y.Doc());
  const connection = { readOnly, context: { principal }, document: { awareness } };
  const origins: unknown[] = [];
  awareness.on('update', (_change: unknown, origin: unknown) => origins.push(origin));
  const client = { documentConnections: { [name]: connection }, lastMessageReceivedAt: 0 };
  const stateOf = (clientId: number) => awareness.getStates().get(clientId);
  return { client, connection, origins, stateOf };
}

describe('[S9] awareness applied directly', () => {
  it("applies a peer's renewal to its document with the connection as origin, and keeps the socket from idling", () => {
    const s = socketWith(WORKSPACE, USER);
    const { data, clientId } = renewal(WORKSPACE, { user: { name: 'ana' }, cursor: 3 });
    expect(applyAwarenessDirectly(s.client, data)).toBe(true);
    expect(s.stateOf(clientId)).toEqual({ user: { name: 'ana' }, cursor: 3 });
    expect(s.origins).toEqual([{ source: 'connection', connection: s.connection }]);
    expect(s.client.lastMessageReceivedAt).toBeGreaterThan(0);
  });

  it("drops a read-only connection's awareness: a user cannot make an offline Viber look online", () => {
    const s = socketWith(VIBER_DOC, USER, true);
    const { data, clientId } = renewal(VIBER_DOC, { viber: { version: '1', viberId: 'vbr_1' } });
    expect(applyAwarenessDirectly(s.client, data)).toBe(true);
    expect(s.stateOf(clientId)).toBeUndefined();
    expect(s.origins).toEqual([]);
  });

  it('keeps the viber field only from a Viber on its own document; strips it elsewhere, other fields kept', () => {
    const presence = { viber: { version: '1', viberId: 'vbr_1' }, user: { name: 'box' } };
    const own = socketWith(VIBER_DOC, VIBER);
    const a = renewal(VIBER_DOC, presence);
    expect(applyAwarenessDirectly(own.client, a.data)).toBe(true);
    expect(own.stateOf(a.clientId)).toEqual(presence);

    const workspace = socketWith(WORKSPACE, VIBER); // a Viber writing presence into the workspace
    const b = renewal(WORKSPACE, presence);
    expect(applyAwarenessDirectly(workspace.client, b.data)).toBe(true);
    expect(workspace.stateOf(b.clientId)).toEqual({ user: { name: 'box' } });

    const user = socketWith(VIBER_DOC, USER); // a user's device claiming to be the Viber
    const c = renewal(VIBER_DOC, { viber: { version: '1', viberId: 'vbr_1' }, note: '"viber"' });
    expect(applyAwarenessDirectly(user.client, c.data)).toBe(true);
    expect(user.stateOf(c.clientId)).toEqual({ note: '"viber"' });
  });

  it('finds a session-aware provider\u2019s document (name\\0session)', () => {
    const s = socketWith(WORKSPACE, USER);
    const { data, clientId } = renewal(`${WORKSPACE}\0session-1`, { cursor: 1 });
    expect(applyAwarenessDirectly(s.client, data)).toBe(true);
    expect(s.stateOf(clientId)).toEqual({ cursor: 1 });
  });

  it("leaves to Hocuspocus's path what it does not handle, touching nothing", () => {
    const s = socketWith(WORKSPACE, USER);
    const sync = renewal(WORKSPACE, { cursor: 1 }, 0).data; // a sync message
    const other = renewal(taskName(), { cursor: 1 }).data; // a document not authenticated here
    const broken = new Uint8Array([...renewal(WORKSPACE, { a: 1 }).data.slice(0, -3)]);
    for (const data of [sync, other, broken]) expect(applyAwarenessDirectly(s.client, data)).toBe(false);
    expect(applyAwarenessDirectly({}, renewal(WORKSPACE, { a: 1 }).data)).toBe(false); // another shape
    expect(s.origins).toEqual([]);
    expect(s.client.lastMessageReceivedAt).toBe(0);
  });

  it('a state that is not JSON goes to Hocuspocus (which closes the connection), not into the document', () => {
    const s = socketWith(WORKSPACE, USER);
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, WORKSPACE);
    encoding.writeVarUint(encoder, 1);
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 1);
    encoding.writeVarUint(update, 42);
    encoding.writeVarUint(update, 1);
    encoding.writeVarString(update, '{"viber": not json');
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
    expect(applyAwarenessDirectly(s.client, encoding.toUint8Array(encoder))).toBe(false);
    expect(s.stateOf(42)).toBeUndefined();
  });
});

function taskName() {
  return 'u/usr_1/task/tsk_1';
}
