// A device's awareness renewals reach the document's other devices and are not sent back to it
// (awareness-echo.ts), against a real server with real providers; the raw messages each receives
// are read off its socket.
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const AWARENESS = 1; // Hocuspocus MessageType.Awareness

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** The client ids of every awareness message `peer` receives from now on. */
function awarenessReceived(peer: Peer): number[][] {
  const seen: number[][] = [];
  peer.provider.on('message', ({ event }: { event: MessageEvent }) => {
    const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
    decoding.readVarString(decoder);
    if (decoding.readVarUint(decoder) !== AWARENESS) return;
    const update = decoding.createDecoder(decoding.readVarUint8Array(decoder));
    const ids: number[] = [];
    for (let i = decoding.readVarUint(update); i > 0; i--) {
      ids.push(decoding.readVarUint(update));
      decoding.readVarUint(update); // clock
      decoding.readVarString(update); // state
    }
    seen.push(ids);
  });
  return seen;
}

const noteOf = (from: Peer, about: Peer) =>
  (
    from.provider.awareness!.getStates().get(about.provider.awareness!.clientID) as
      { note?: string } | undefined
  )?.note;

describe('awareness renewals', () => {
  it('reach every other device of the document and are not echoed to their sender', async () => {
    const { token, userId } = await signup(server.url);
    const doc = `u/${userId}/workspace`;
    const [a, b, c] = [0, 1, 2].map(() => connectPeer(server.wsUrl, doc, token));
    try {
      await Promise.all([a, b, c].map((p) => p.synced));
      const atA = awarenessReceived(a);
      const atB = awarenessReceived(b);
      for (let i = 1; i <= 5; i++) {
        a.provider.setAwarenessField('note', `a${i}`);
        await waitFor(() => noteOf(b, a) === `a${i}` && noteOf(c, a) === `a${i}`, `a${i} at b and c`);
      }
      b.provider.setAwarenessField('note', 'b1');
      await waitFor(() => noteOf(a, b) === 'b1' && noteOf(c, b) === 'b1', 'b1 at a and c');
      await new Promise((r) => setTimeout(r, 200)); // anything still on its way back arrives

      const own = (p: Peer) => p.provider.awareness!.clientID;
      expect(atA.filter((ids) => ids.every((id) => id === own(a)))).toEqual([]);
      expect(atA.some((ids) => ids.includes(own(b)))).toBe(true);
      expect(atB.filter((ids) => ids.every((id) => id === own(b)))).toEqual([]);
      expect(atB.filter((ids) => ids.includes(own(a))).length).toBeGreaterThanOrEqual(5);
    } finally {
      for (const p of [a, b, c]) p.destroy();
    }
  });

  it('a device that leaves is removed from the others', async () => {
    const { token, userId } = await signup(server.url);
    const doc = `u/${userId}/workspace`;
    const [a, b] = [0, 1].map(() => connectPeer(server.wsUrl, doc, token));
    await Promise.all([a, b].map((p) => p.synced));
    a.provider.setAwarenessField('note', 'here');
    await waitFor(() => noteOf(b, a) === 'here', 'a at b');
    const gone = a.provider.awareness!.clientID;
    a.destroy();
    await waitFor(() => !b.provider.awareness!.getStates().has(gone), 'a removed at b');
    b.destroy();
  });
});
