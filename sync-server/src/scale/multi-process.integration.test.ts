// Several sync-server processes, one workspace (design §7): two real server processes share a real
// PostgreSQL (storage) and a real Redis (fan-out), both started by this test on loopback.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import {
  ENVIRONMENT_DEFAULTS,
  EnvironmentType,
  createEnvironment,
  listEnvironments,
  patchEnvironment,
  workspaceDocName,
  type Environment,
  type EnvironmentCreate,
} from '@openviber/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QuietWebSocket, waitFor } from '../../testing/peers.ts';
import * as Y from 'yjs';
import pg from 'pg';
import { Redis as RedisClient } from 'ioredis';
import * as decoding from 'lib0/decoding';
import { readBatch } from './publish-batch.ts';
import { readAwarenessMessage } from '../sync/awareness-guard.ts';
import {
  startPostgres,
  startRedis,
  type RunningPostgres,
  type RunningRedis,
} from '../../testing/pg-redis.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const env = (name: string): EnvironmentCreate => ({
  ...ENVIRONMENT_DEFAULTS,
  name,
  type: EnvironmentType.manual,
  vars: {},
  secrets: {},
});

let postgres: RunningPostgres;
let redis: RunningRedis;
beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

// ---- helpers: real servers, real peers, the real HTTP API ----

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two processes on one fresh database and the shared Redis. */
async function twoServers(): Promise<[SpawnedServer, SpawnedServer]> {
  return (await twoServersOn(await postgres.createSchema())).servers;
}

async function twoServersOn(databaseUrl: string, more: Record<string, string> = {}) {
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, ...more };
  const servers = await Promise.all([spawnServer({ env }), spawnServer({ env })]);
  for (const s of servers) {
    cleanups.push(async () => {
      await s.dispose();
      // Nothing but the expected may be printed: any error here is a bug in the scale-out path.
      expect(s.output()).not.toMatch(/error|unexpected/i);
    });
  }
  return { servers: servers as [SpawnedServer, SpawnedServer], databaseUrl };
}

/**
 * Counts the document stores either process makes from now on: every store starts with one INSERT
 * statement into `documents` (ON CONFLICT DO NOTHING), which a statement-level trigger counts even
 * when it inserts nothing.
 */
async function countStores(databaseUrl: string): Promise<() => Promise<number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  cleanups.push(() => client.end());
  await client.query(`
    CREATE TABLE store_calls (at timestamptz NOT NULL DEFAULT now());
    CREATE FUNCTION count_store() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO store_calls DEFAULT VALUES; RETURN NULL; END $$;
    CREATE TRIGGER count_store BEFORE INSERT ON documents FOR EACH STATEMENT EXECUTE FUNCTION count_store();
  `);
  return async () => Number((await client.query('SELECT count(*) AS n FROM store_calls')).rows[0].n);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(server: SpawnedServer, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

let users = 0;
const credentials = () => ({ username: `scale${process.pid}x${++users}`, password: 'correct horse battery' });
async function signup(server: SpawnedServer) {
  const creds = credentials();
  let res = await api(server, 'POST', '/api/auth/signup', creds);
  // Many at once from one address: past its share of password checks ([S14a]) the server answers
  // 503 with Retry-After, and a client waits and tries again, as this one does.
  while (res.status === 503) {
    await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
    res = await api(server, 'POST', '/api/auth/signup', creds);
  }
  expect(res.status).toBe(201);
  return { ...creds, token: res.body.token as string, userId: res.body.user.id as string };
}

interface Peer {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  envs(): Environment[];
  /** Connected, synced, and every local change acknowledged by the server. */
  settled(): boolean;
  /** Moves this peer (and everything its Y.Doc holds) to another process. */
  moveTo(server: SpawnedServer): void;
  destroy(): void;
}

function connectPeer(
  server: SpawnedServer,
  user: { token: string; userId: string },
  doc = new Y.Doc(),
): Peer {
  const open = (s: SpawnedServer) => {
    const socket = new HocuspocusProviderWebsocket({
      url: s.wsUrl,
      WebSocketPolyfill: QuietWebSocket,
      delay: 50,
      minDelay: 50,
      maxDelay: 500,
    });
    const p = new HocuspocusProvider({
      websocketProvider: socket,
      name: workspaceDocName(user.userId),
      document: doc,
      token: user.token,
    });
    p.attach();
    return { provider: p, close: () => (p.destroy(), socket.destroy()) };
  };
  let current = open(server);
  const peer: Peer = {
    doc,
    get provider() {
      return current.provider;
    },
    envs: () => listEnvironments(doc),
    settled: () => current.provider.isSynced && !current.provider.hasUnsyncedChanges,
    moveTo(s) {
      current.close();
      current = open(s);
    },
    destroy: () => current.close(),
  };
  cleanups.push(() => peer.destroy());
  return peer;
}

/** A user with one peer on each process, both synced. */
async function peerOnEach(a: SpawnedServer, b: SpawnedServer) {
  const user = await signup(a);
  const onA = connectPeer(a, user);
  const onB = connectPeer(b, user);
  await waitFor(() => onA.settled() && onB.settled(), 'both peers synced');
  return { user, onA, onB };
}

const names = (envs: Environment[]) => envs.map((e) => e.name).sort();
const byName = (envs: Environment[], name: string) => envs.find((e) => e.name === name);

// ---- the tests ----

describe('two sync-server processes on PostgreSQL and Redis', () => {
  it('carries an edit by a peer on one process live to a peer on the other, both ways', async () => {
    const [a, b] = await twoServers();
    const { onA, onB } = await peerOnEach(a, b);

    const id = createEnvironment(onA.doc, env('from A'));
    await waitFor(() => byName(onB.envs(), 'from A'), 'the edit on A to reach the peer on B');
    patchEnvironment(onB.doc, id, { description: 'edited on B' });
    await waitFor(
      () => byName(onA.envs(), 'from A')?.description === 'edited on B',
      'the edit on B to reach A',
    );
  });

  it('loses no edit a peer holds when its process is killed with kill -9 mid-edit', async () => {
    const [a, b] = await twoServers();
    // The watcher holds the document on B: B receives A's edits only through Redis.
    const { user, onA: writer, onB: watcher } = await peerOnEach(a, b);

    const id = createEnvironment(writer.doc, env('env 0'));
    let edits = 0;
    const edit = () => {
      edits++;
      createEnvironment(writer.doc, env(`env ${edits}`));
      patchEnvironment(writer.doc, id, { description: `edit ${edits}` });
    };
    // Edits stream in while A dies: some reached A and B, some were in flight, some are made offline.
    const stream = setInterval(edit, 5);
    await waitFor(() => byName(watcher.envs(), 'env 5'), 'edits to stream through A to B');
    await a.kill();
    const atKill = edits;
    await waitFor(() => edits >= atKill + 10, 'edits made while A is gone');
    clearInterval(stream);
    const total = edits;
    expect(writer.envs()).toHaveLength(total + 1);

    // The writer reconnects to the surviving process and hands over what it holds.
    writer.moveTo(b);
    await waitFor(() => writer.settled(), 'the writer to sync with B');
    await waitFor(() => watcher.envs().length === total + 1, 'every edit to reach the peer on B');

    // Both processes start again from storage (B stopping first, flushing what it holds) and serve it.
    writer.destroy();
    watcher.destroy();
    await Promise.all([a.restart(), b.restart()]);
    for (const server of [a, b]) {
      const fresh = connectPeer(server, user);
      await waitFor(
        () => fresh.settled() && fresh.envs().length === total + 1,
        `a fresh peer on ${server.url} to load every edit`,
      );
      expect(names(fresh.envs())).toEqual(names(writer.envs()));
      expect(byName(fresh.envs(), 'env 0')?.description).toBe(`edit ${total}`);
      fresh.destroy();
    }
  });

  it('loses no edit that reached the other process only through Redis when the first is killed', async () => {
    const [a, b] = await twoServers();
    const { user, onA: writer, onB: watcher } = await peerOnEach(a, b);

    // The edits reach B through Redis; A is killed before its debounced store, and the writer,
    // moving to B, has nothing B lacks: only B's own store can keep them.
    for (let i = 1; i <= 20; i++) createEnvironment(writer.doc, env(`env ${i}`));
    await waitFor(() => watcher.envs().length === 20, 'the edits to reach B');
    await a.kill();
    writer.moveTo(b);
    await waitFor(() => writer.settled(), 'the writer to sync with B');
    writer.destroy();
    watcher.destroy();

    await Promise.all([a.restart(), b.restart()]);
    const fresh = connectPeer(a, user);
    await waitFor(() => fresh.settled() && fresh.envs().length === 20, 'a fresh peer to load every edit');
  });

  it('[P2] writes an edit once: the process it came through stores it and says so, the other skips its write', async () => {
    const { servers, databaseUrl } = await twoServersOn(await postgres.createSchema());
    const [a, b] = servers;
    const { user, onA: writer, onB: watcher } = await peerOnEach(a, b);
    const stores = await countStores(databaseUrl);
    await sleep(5_000); // whatever the sign-up and the first syncs stored is done
    const before = await stores();
    for (let i = 1; i <= 10; i++) createEnvironment(writer.doc, env(`env ${i}`));
    await waitFor(() => watcher.envs().length === 10, 'the edits to reach B');
    // A stores after its 2 s debounce; B's store waits for A's notice (at most 3 s), then skips.
    await sleep(7_000);
    expect((await stores()) - before).toBe(1);
    // And it is stored: a fresh process finds all ten.
    writer.destroy();
    watcher.destroy();
    await Promise.all([a.kill(), b.kill()]);
    await a.restart();
    const fresh = connectPeer(a, user);
    await waitFor(() => fresh.settled() && fresh.envs().length === 10, 'a fresh peer to load every edit');
  });

  it('[P2] a deletion relayed just before its process died is stored by the other: a stored state vector alone would not show it', async () => {
    const [a, b] = await twoServers();
    const { user, onA: writer, onB: watcher } = await peerOnEach(a, b);
    const id = createEnvironment(writer.doc, env('doomed'));
    createEnvironment(writer.doc, env('kept'));
    await waitFor(() => watcher.envs().length === 2, 'the environments to reach B');
    await sleep(5_000); // stored by A and announced: B's copy is covered
    // A pure deletion (no new item, so no new state vector entry): the environment's entry in the map.
    writer.doc.transact(() => writer.doc.getMap('environments').delete(id));
    await waitFor(() => watcher.envs().length === 1, 'the deletion to reach B');
    await a.kill(); // before its debounced store
    writer.destroy();
    await sleep(6_000); // B's store: no notice comes, so it writes
    watcher.destroy();
    await b.kill();
    await Promise.all([a.restart(), b.restart()]);
    const fresh = connectPeer(b, user);
    await waitFor(() => fresh.settled(), 'a fresh peer to sync');
    expect(names(fresh.envs())).toEqual(['kept']);
  });

  it("carries presence between processes: a state set on A is seen on B, its change too, and its end when A's peer leaves", async () => {
    const [a, b] = await twoServers();
    const user = await signup(a);
    const here = connectPeer(a, user);
    const stays = connectPeer(a, user);
    const there = connectPeer(b, user);
    await waitFor(() => here.settled() && stays.settled() && there.settled(), 'the peers synced');
    const seen = () =>
      [...there.provider.awareness!.getStates().values()].map((s) => (s as { device?: string }).device);
    here.provider.setAwarenessField('device', 'laptop');
    await waitFor(() => seen().includes('laptop'), 'B to see the state set on A');
    here.provider.setAwarenessField('device', 'laptop, renamed');
    await waitFor(
      () => seen().includes('laptop, renamed') && !seen().includes('laptop'),
      'B to see it change',
    );
    stays.provider.setAwarenessField('device', 'phone');
    await waitFor(() => seen().includes('phone'), 'B to see the second device');
    here.destroy();
    await waitFor(() => !seen().includes('laptop, renamed'), "B to see A's peer leave");
    // The last device on A drops off the network (no goodbye: the socket is cut, then the provider
    // stopped before it can reconnect). The stock extension publishes nothing for a document with no
    // peer left on a process, and B showed the device for awareness's 30 s timeout.
    const socket = (
      stays.provider.configuration.websocketProvider as unknown as { webSocket: QuietWebSocket }
    ).webSocket;
    socket.terminate();
    stays.destroy();
    await waitFor(() => !seen().includes('phone'), "B to see A's last peer leave", 5_000);
  });

  it('keeps serving from the surviving process while the other is dead', async () => {
    const [a, b] = await twoServers();
    const { user, onB } = await peerOnEach(a, b);
    await a.kill();

    // Existing peers, new peers, and the API on B carry on without A.
    const late = connectPeer(b, user);
    await waitFor(() => late.settled(), 'a new peer to sync with B');
    createEnvironment(onB.doc, env('while A is down'));
    await waitFor(() => byName(late.envs(), 'while A is down'), 'the edit to reach the new peer on B');
    const other = await signup(b);
    const res = await api(
      b,
      'POST',
      '/api/environments',
      { name: 'via the API', type: 'manual' },
      other.token,
    );
    expect(res.status).toBe(201);
    expect((await api(b, 'GET', '/api/environments', undefined, user.token)).body).toHaveLength(1);
    expect((await api(b, 'GET', '/api/environments', undefined, other.token)).body).toMatchObject([
      { name: 'via the API' },
    ]);
  });

  it('serves the API from either process: signup on A, login and create on B, seen live on A', async () => {
    const [a, b] = await twoServers();
    const user = await signup(a);
    const onA = connectPeer(a, user);
    await waitFor(() => onA.settled(), 'the peer on A to sync');

    const login = await api(b, 'POST', '/api/auth/login', {
      username: user.username,
      password: user.password,
    });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ id: user.userId, username: user.username });
    const created = await api(
      b,
      'POST',
      '/api/environments',
      { name: 'made on B', type: 'manual' },
      login.body.token as string,
    );
    expect(created.status).toBe(201);

    await waitFor(
      () => byName(onA.envs(), 'made on B'),
      'the environment created on B to reach the peer on A live',
    );
    // Each process accepts the other's sessions and reads the same workspace.
    for (const [server, token] of [
      [a, login.body.token as string],
      [b, user.token],
    ] as const) {
      const list = await api(server, 'GET', '/api/environments', undefined, token);
      expect(list.body).toMatchObject([{ id: created.body.id as string, name: 'made on B' }]);
    }
    const dup = await api(b, 'POST', '/api/auth/signup', {
      username: user.username,
      password: user.password,
    });
    expect(dup.status).toBe(409);
  });

  it('[S20] a logout through one process closes that session\u2019s websockets on the other too (a removed Viber\u2019s likewise: one token check)', async () => {
    const { servers } = await twoServersOn(await postgres.createSchema(), { TOKEN_RECHECK_MS: '300' });
    const [a, b] = servers;
    const user = await signup(a);
    const second = await api(a, 'POST', '/api/auth/login', {
      username: user.username,
      password: user.password,
    });
    const session = { token: second.body.token as string, userId: user.userId };
    const onB = connectPeer(b, session);
    await waitFor(() => onB.settled(), 'the second session synced on B');
    let refused = false;
    onB.provider.on('authenticationFailed', () => (refused = true));
    expect((await api(a, 'POST', '/api/auth/logout', undefined, session.token)).status).toBeLessThan(300);
    await waitFor(() => refused, "B closing the logged-out session's socket");
    // Its edits no longer reach anyone.
    const watcher = connectPeer(a, user);
    await waitFor(() => watcher.settled(), 'a peer of the live session on A');
    createEnvironment(onB.doc, { ...env('written after logout') });
    await sleep(1_000);
    expect(names(watcher.envs())).not.toContain('written after logout');
  });

  it('[T4] one caller-chosen message id sent to both processes at once is appended once: one 201, the rest 409', async () => {
    const [a, b] = await twoServers();
    const user = await signup(a);
    const env = await api(a, 'POST', '/api/environments', { name: 'e', type: 'manual' }, user.token);
    const task = await api(a, 'POST', '/api/tasks', { environmentId: env.body.id }, user.token);
    const path = `/api/tasks/${task.body.id as string}`;
    // Both processes hold the task document (each check reads its own copy).
    expect((await api(a, 'POST', `${path}/messages`, { text: 'first' }, user.token)).status).toBe(201);
    await waitFor(
      async () => (await api(b, 'GET', path, undefined, user.token)).body.messages?.length === 1,
      'the first message on B',
    );
    for (let round = 0; round < 5; round++) {
      const messageId = `msg_race${round}`;
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          api(i % 2 ? b : a, 'POST', `${path}/messages`, { text: `echo ${round}`, messageId }, user.token),
        ),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect(answers.find((r) => r.status === 409)!.body.error.field).toBe('messageId');
    }
    // Once every write has reached both copies, each holds every id once.
    await sleep(500);
    for (const server of [a, b]) {
      const ids = (
        (await api(server, 'GET', path, undefined, user.token)).body.messages as { id: string }[]
      ).map((m) => m.id);
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
    }
  });

  // ---- what crosses Redis ----

  /** Every message on the servers' channels from now on: [channel, body without its origin frame]. */
  async function watchRedis(): Promise<{ channel: string; body: Uint8Array }[]> {
    const seen: { channel: string; body: Uint8Array }[] = [];
    const client = new RedisClient(redis.url);
    cleanups.push(() => void client.disconnect());
    client.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, data: Buffer) =>
      seen.push({ channel: channel.toString(), body: data.subarray(data[0] + 1) }),
    );
    await client.psubscribe('openviber*');
    return seen;
  }

  /** The awareness entries in what Redis carried: one per (document, client, clock) a message held. */
  function awarenessEntries(seen: { channel: string; body: Uint8Array }[]) {
    const entries: { channel: string; doc: string; client: number; clock: number }[] = [];
    for (const { channel, body } of seen) {
      const messages = channel === 'openviber#awareness' ? readBatch(body) : [body];
      for (const message of messages) {
        const awareness = readAwarenessMessage(message);
        if (!awareness) continue;
        const decoder = decoding.createDecoder(awareness.update);
        for (let n = decoding.readVarUint(decoder); n > 0; n--) {
          const client = decoding.readVarUint(decoder);
          const clock = decoding.readVarUint(decoder);
          decoding.readVarString(decoder);
          entries.push({ channel, doc: awareness.address, client, clock });
        }
      }
    }
    return entries;
  }

  it('[P3] sends a presence change across Redis once: the process that received it does not publish it back', async () => {
    const [a, b] = await twoServers();
    const user = await signup(a);
    const here = connectPeer(a, user);
    const there = connectPeer(b, user);
    await waitFor(() => here.settled() && there.settled(), 'the peers synced');
    await sleep(300); // the connects' own presence has crossed
    const seen = await watchRedis();
    const stateOnB = () =>
      there.provider.awareness!.getStates().get(here.doc.clientID) as { device?: string };
    for (const device of ['laptop', 'laptop, renamed', 'laptop, again']) {
      here.provider.setAwarenessField('device', device);
      await waitFor(() => stateOnB()?.device === device, `B to see "${device}"`);
    }
    await sleep(300); // anything B would send back has been sent
    const mine = awarenessEntries(seen).filter((e) => e.client === here.doc.clientID);
    // One entry per change (each a new clock), none repeated: B applied them and published none.
    expect(mine.map((e) => e.clock)).toEqual([...new Set(mine.map((e) => e.clock))]);
    expect(mine).toHaveLength(3);
  });

  it("[P3] carries many documents' presence in a few Redis messages, and store notices likewise", async () => {
    // Thirty sign-ups from one address: over the default hourly limit, which Redis shares.
    const [a, b] = (await twoServersOn(await postgres.createSchema(), { SIGNUPS_PER_HOUR: '1000' })).servers;
    const pairs = await Promise.all(Array.from({ length: 30 }, () => peerOnEach(a, b)));
    await sleep(300);
    const seen = await watchRedis();
    for (const { onA } of pairs) onA.provider.setAwarenessField('device', 'phone');
    await waitFor(
      () =>
        pairs.every(({ onA, onB }) => {
          const state = onB.provider.awareness!.getStates().get(onA.doc.clientID) as { device?: string };
          return state?.device === 'phone';
        }),
      "every document's presence on B",
    );
    const ours = new Set(pairs.map(({ user }) => workspaceDocName(user.userId)));
    const presence = awarenessEntries(seen).filter((e) => ours.has(e.doc));
    expect(presence).toHaveLength(30);
    // Gathered for REDIS_BATCH_MS: a few publishes (more only on a machine too busy to read the 30
    // changes within one window), not one per document.
    expect(seen.filter((m) => m.channel === 'openviber#awareness').length).toBeLessThanOrEqual(10);
    expect(seen.filter((m) => m.channel.startsWith('openviber:u/'))).toEqual([]);

    // Thirty documents edited at once are stored at once; their notices share a few publishes.
    for (const { onA } of pairs) createEnvironment(onA.doc, env('stored together'));
    await waitFor(() => pairs.every(({ onA }) => onA.settled()), 'the edits acknowledged');
    const notices = () => seen.filter((m) => m.channel === 'openviber:stored');
    await waitFor(
      () => notices().reduce((n, m) => n + readBatch(m.body).length, 0) >= 30,
      'the stores announced',
      15_000,
    );
    expect(notices().length).toBeLessThanOrEqual(10);
  });

  it('[P3] repairs an update Redis refused on a live connection within seconds, not at the periodic check', async () => {
    const databaseUrl = await postgres.createSchema();
    const environment = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, SIGNUPS_PER_HOUR: '1000' };
    const [a, b] = await Promise.all([spawnServer({ env: environment }), spawnServer({ env: environment })]);
    cleanups.push(
      () => a.dispose(),
      () => b.dispose(),
    );
    const admin = new RedisClient(redis.url);
    cleanups.push(async () => {
      await admin.call('ACL', 'SETUSER', 'default', '+publish');
      admin.disconnect();
    });
    const { onA, onB } = await peerOnEach(a, b);
    // Redis answers the publish with an error (NOPERM) while the connection stays up: no outage to
    // notice, no resync of every document.
    await admin.call('ACL', 'SETUSER', 'default', '-publish');
    createEnvironment(onA.doc, env('while refused'));
    await waitFor(() => /could not publish an update/.test(a.output()), 'the refused publish');
    await admin.call('ACL', 'SETUSER', 'default', '+publish');
    await waitFor(() => byName(onB.envs(), 'while refused'), 'the refused edit to reach B', 5_000);
  });

  it('[P3] resyncs after Redis closed a subscriber cleanly (CLIENT KILL): an update published while it reconnected arrives', async () => {
    const [a, b] = (await twoServersOn(await postgres.createSchema(), { SIGNUPS_PER_HOUR: '1000' })).servers;
    const { onA, onB } = await peerOnEach(a, b);
    const admin = new RedisClient(redis.url);
    cleanups.push(() => void admin.disconnect());
    // No error, no outage as ioredis reports one: the subscribers are back within ~50 ms, and what
    // was published meanwhile never reaches them.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    createEnvironment(onA.doc, env('while B reconnected'));
    await waitFor(() => byName(onB.envs(), 'while B reconnected'), 'the edit to reach B', 5_000);
  });

  it('[P3] a process whose publishes alone Redis refuses keeps running: a reply it cannot send does not end it', async () => {
    const admin = new RedisClient(redis.url);
    const user = `b${process.pid}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret-b', '~*', '&*', '+@all');
    cleanups.push(async () => {
      await admin.call('ACL', 'DELUSER', user);
      admin.disconnect();
    });
    const databaseUrl = await postgres.createSchema();
    const base = { DATABASE_URL: databaseUrl, SIGNUPS_PER_HOUR: '1000' };
    const a = await spawnServer({ env: { ...base, REDIS_URL: redis.url } });
    const b = await spawnServer({
      env: { ...base, REDIS_URL: redis.url.replace('redis://', `redis://${user}:secret-b@`) },
    });
    cleanups.push(
      () => a.dispose(),
      () => b.dispose(),
    );
    const account = await signup(a);
    const onB = connectPeer(b, account);
    await waitFor(() => onB.settled(), 'the peer on B synced');
    await admin.call('ACL', 'SETUSER', user, '-publish');
    // A loads the document and asks the others for their state: B's answer is refused.
    const onA = connectPeer(a, account);
    await waitFor(() => onA.settled(), 'the peer on A synced');
    createEnvironment(onA.doc, env('from A'));
    await waitFor(() => byName(onB.envs(), 'from A'), "A's edit to reach B");
    await sleep(500);
    expect(b.output()).not.toMatch(/unhandled|ReplyError: NOPERM.*\n\s+at /i);
    expect((await api(b, 'GET', '/api/health')).status).toBe(200);
  });
});
