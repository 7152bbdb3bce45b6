// A socket's liveness pings go out at its own offset instead of all in crossws's one loop every 30 s.
import { Server } from '@hocuspocus/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectPeer, waitFor, type Peer } from '../../testing/peers.ts';
import { pendingPingSlots, spreadPings, spreadPingsExtension } from './spread-pings.ts';

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

  it('a loop pinging 5,000 sockets arms one timer per slot, not one per socket, and every open one is pinged once', async () => {
    const sent = new Map<number, number>();
    const sockets = Array.from({ length: 5_000 }, (_, i) => ({
      readyState: i % 10 === 0 ? 3 : 1, // every tenth closed before its ping is due
      ping: () => sent.set(i, (sent.get(i) ?? 0) + 1),
    }));
    sockets.forEach((ws, i) => spreadPings(ws, (i * 97) % 300)); // offsets over 3 slots of 100 ms
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      for (const ws of sockets) ws.ping();
      for (const ws of sockets) ws.ping(); // asked twice before it went out: pinged once
      expect(timers).toHaveBeenCalledTimes(3);
    } finally {
      timers.mockRestore();
    }
    expect(pendingPingSlots()).toBe(3);
    await waitFor(() => (pendingPingSlots() === 0 ? true : null), 'the slots to go out', 2_000);
    expect(sent.size).toBe(4_500);
    expect([...sent.values()].every((n) => n === 1)).toBe(true);
    expect(sent.has(0)).toBe(false);
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
