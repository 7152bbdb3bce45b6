// [P2] PostgreSQL unreachable for 4 s under load: every API call answers 200/201 or 503 with
// Retry-After (never 500), and a connected peer's edits made during the outage are stored once the
// database is back, without the peer doing anything.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { startPostgres, storedDocument, type RunningPostgres } from '../../testing/pg-redis.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const OUTAGE_MS = 4000;

/** A TCP proxy in front of PostgreSQL whose `down()` drops every connection and refuses new ones. */
async function tcpProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, '127.0.0.1');
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', end);
          s.on('close', end);
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as net.AddressInfo).port));
    });
  const port = await listen(0);
  return {
    port,
    down() {
      server?.close();
      for (const s of sockets) s.destroy();
    },
    up: () => listen(port),
    close() {
      server?.close();
      for (const s of sockets) s.destroy();
    },
  };
}

let postgres: RunningPostgres;
let proxy: Awaited<ReturnType<typeof tcpProxy>>;
let server: SpawnedServer;
let dbUrl: string;
const peers: Peer[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
  dbUrl = await postgres.createDatabase();
  proxy = await tcpProxy(postgres.port);
  const viaProxy = new URL(dbUrl);
  viaProxy.port = String(proxy.port);
  server = await spawnServer({ env: { DATABASE_URL: viaProxy.toString() } });
}, 60_000);

afterAll(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.dispose();
  proxy?.close();
  await postgres?.stop();
});

describe('[P2] the store goes away for a few seconds', () => {
  it('API calls answer 200/201 or 503 with Retry-After, never 500; a peer’s edits are stored once it is back', async () => {
    const user = await signup(server.url);
    const env = await api(server.url, 'POST', '/api/environments', {
      token: user.token,
      body: { name: 'outage', type: 'manual' },
    });
    const newTask = (title: string) =>
      api(server.url, 'POST', '/api/tasks', {
        token: user.token,
        body: { environmentId: env.body.id, title },
      });
    const apiTask = (await newTask('api')).body.id as string;
    const peerTask = (await newTask('peer')).body.id as string;
    const peerDoc = `u/${user.userId}/task/${peerTask}`;
    const peer = connectPeer(server.wsUrl, peerDoc, user.token);
    peers.push(peer);
    await peer.synced;

    const statuses: number[] = [];
    const missingRetryAfter: number[] = [];
    let calling = true;
    const calls = (async () => {
      for (let i = 0; calling; i++) {
        const requests = [
          () => api(server.url, 'GET', `/api/tasks/${apiTask}`, { token: user.token }),
          () => api(server.url, 'GET', '/api/environments', { token: user.token }),
          () =>
            api(server.url, 'POST', `/api/tasks/${apiTask}/messages`, {
              token: user.token,
              body: { text: `m${i}` },
            }),
          () => api(server.url, 'GET', '/api/tasks', { token: user.token }),
        ];
        for (const request of requests) {
          const res = await request();
          statuses.push(res.status);
          if (res.status === 503 && !res.headers.get('retry-after')) missingRetryAfter.push(i);
        }
      }
    })();

    let editing = true;
    let edits = 0;
    const editingDone = (async () => {
      while (editing) {
        peer.doc.getMap('outage').set(`p${edits++}`, edits);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await waitFor(() => statuses.length > 20 && edits > 20, 'load under way before the outage');
    proxy.down();
    const outageStart = Date.now();
    // The peer stops editing early in the outage, so its debounced store fires (and fails) while the
    // database is still away: only a retry can store those edits afterwards.
    await waitFor(() => Date.now() - outageStart > 1000, 'peer edits during the outage');
    editing = false;
    await editingDone;
    // A device that edited offline connects during the outage: it waits, then syncs and is stored.
    const lateDoc = new Y.Doc();
    lateDoc.getMap('outage').set('late', 'typed offline');
    const late = connectPeer(server.wsUrl, peerDoc, user.token, lateDoc);
    peers.push(late);
    await waitFor(() => Date.now() - outageStart > OUTAGE_MS, 'the outage lasting');
    await proxy.up();
    const after = statuses.length;
    await waitFor(() => statuses.length > after + 20, 'calls after the database is back');
    calling = false;
    await calls;

    const counts = statuses.reduce<Record<number, number>>(
      (acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }),
      {},
    );
    expect(
      Object.keys(counts)
        .map(Number)
        .filter((s) => ![200, 201, 503].includes(s)),
    ).toEqual([]);
    expect(counts[503]).toBeGreaterThan(0);
    expect(missingRetryAfter).toEqual([]);

    await waitFor(() => !peer.provider.hasUnsyncedChanges, 'peer edits acknowledged');
    await late.synced;
    expect(late.authFailure()).toBeNull();
    const expected = [...Array.from({ length: edits }, (_, i) => `p${i}`), 'late'];
    await waitFor(
      async () => {
        const stored = await storedDocument(dbUrl, peerDoc);
        return stored && expected.every((k) => stored.getMap('outage').has(k));
      },
      'every peer edit stored after the outage',
      20_000,
    );
  }, 90_000);
});
