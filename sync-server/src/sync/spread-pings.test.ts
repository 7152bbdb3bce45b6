// A socket's liveness pings go out at its own offset instead of all in crossws's one loop every 30 s.
import { Server } from '@hocuspocus/server';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPeer, waitFor, type Peer } from '../../testing/peers.ts';
import { spreadPings, spreadPingsExtension } from './spread-pings.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('spreadPings', () => {
  it('sends each ping after the socket’s offset, and not once the socket closed', async () => {
    const sent: unknown[] = [];
    const ws = { readyState: 1, ping: (data: unknown) => sent.push(data) };
    spreadPings(ws, 40);
    spreadPings(ws, 0); // once per socket: the second call changes nothing
    ws.ping('a');
    expect(sent).toEqual([]);
    await sleep(80);
    expect(sent).toEqual(['a']);
    ws.ping('b');
    ws.readyState = 3;
    await sleep(80);
    expect(sent).toEqual(['a']);
  });

  it('leaves alone what is not a websocket', () => {
    expect(() => spreadPings(undefined)).not.toThrow();
    expect(() => spreadPings({ ping: 1 })).not.toThrow();
  });
});

describe('spreadPingsExtension on a real server', () => {
  let server: Server | undefined;
  let peer: Peer | undefined;
  afterEach(async () => {
    peer?.destroy();
    await server?.destroy();
  });

  it('delays the pings crossws sends on its own socket object (the one its liveness loop uses)', async () => {
    server = new Server({ quiet: true, port: 0, extensions: [spreadPingsExtension(() => 300)] });
    await server.listen();
    const { port } = server.httpServer.address() as { port: number };
    peer = connectPeer(`ws://127.0.0.1:${port}`, 'doc', 'token');
    await peer.synced;
    const clientSocket = (peer.socket as unknown as { webSocket: import('ws').WebSocket }).webSocket;
    const pings: number[] = [];
    clientSocket.on('ping', () => pings.push(Date.now()));

    // crossws's loop calls ping() on the raw `ws` socket of each peer, as peer.ping() does.
    const adapter = (
      server as unknown as { crossws: { peers: Map<string, Set<{ ping(d?: Buffer): void }>> } }
    ).crossws;
    const peers = [...adapter.peers.values()].flatMap((set) => [...set]);
    expect(peers).toHaveLength(1);
    const asked = Date.now();
    peers[0].ping(Buffer.from('crossws-ping'));
    await sleep(150);
    expect(pings).toEqual([]);
    const [at] = await waitFor(() => (pings.length ? pings : null), 'the ping', 3_000);
    expect(at - asked).toBeGreaterThanOrEqual(250);
  });
});
