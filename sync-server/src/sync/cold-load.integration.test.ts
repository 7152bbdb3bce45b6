// A document loaded from the store reaches its first peer once: as the sync step 2 answering the
// peer's step 1. Loading it through Hocuspocus's update listeners also queued the whole state for
// broadcast, so the first peers got it a second time as an update (a 2.3 MB workspace sent twice).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { connectPeer, signup, waitFor } from '../../testing/peers.ts';
import { spawnServer } from '../../testing/spawn-server.ts';

const Msg = { sync: 0, auth: 2 } as const;

function frame(doc: string, type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

describe('loading a stored document', async () => {
  const server = await spawnServer();
  afterAll(() => server.dispose());

  it('sends its state to the first peer once, not again as an update', async () => {
    const { token, userId } = await signup(server.url);
    const name = `u/${userId}/workspace`;
    const built = new Y.Doc();
    const notes = built.getMap<string>('bench');
    for (let i = 0; i < 2_000; i++) notes.set(`k${i}`, `a value of some length, number ${i}`);
    const stateBytes = Y.encodeStateAsUpdate(built).length;
    const writer = connectPeer(server.wsUrl, name, token, built);
    await writer.synced;
    await waitFor(() => !writer.provider.hasUnsyncedChanges, 'the document to reach the server');
    writer.destroy();
    await server.restart(); // stores it on SIGTERM; the next connection loads it from the store

    const ws = new WebSocket(server.wsUrl);
    const received: { type: number; step: number; bytes: number }[] = [];
    ws.on('open', () => {
      ws.send(frame(name, Msg.auth, (e) => (encoding.writeVarUint(e, 0), encoding.writeVarString(e, token))));
      ws.send(
        frame(
          name,
          Msg.sync,
          (e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, new Uint8Array([0]))),
        ),
      );
    });
    ws.on('message', (data: Buffer) => {
      const d = decoding.createDecoder(new Uint8Array(data));
      decoding.readVarString(d);
      const type = decoding.readVarUint(d);
      received.push({ type, step: type === Msg.sync ? decoding.readVarUint(d) : -1, bytes: data.length });
    });
    try {
      await waitFor(() => received.some((m) => m.type === Msg.sync && m.step === 1), 'sync step 2');
      // Hocuspocus flushes queued updates within its flush delay; give a duplicate time to arrive.
      await new Promise((r) => setTimeout(r, 500));
      const big = received.filter((m) => m.bytes >= stateBytes);
      expect(big.map((m) => `${m.type}/${m.step}`)).toEqual(['0/1']);
    } finally {
      ws.close();
    }
  });
});
