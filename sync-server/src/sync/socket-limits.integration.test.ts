// How many websockets a stranger or a user may hold, what each may cost before login and what it
// may make the server log, tried against real server processes the way issue 14 found it open: a
// flood of sockets from one address, each queueing megabytes before it authenticates anything, one
// account holding any number, and hostile frames printing a stack trace each.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { limitReason, taskDocName, viberDocName, workspaceDocName } from '@openviber/shared';
import { generateKeyPair } from '@openviber/shared/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuietWebSocket, api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';
import {
  MAX_PREAUTH_QUEUE_BYTES,
  MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
  MAX_WS_PAYLOAD_BYTES,
} from '../limits.ts';

const MiB = 1024 * 1024;
let server: SpawnedServer;
const servers: SpawnedServer[] = [];
const sockets: WebSocket[] = [];
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  for (const c of cleanups) c();
  await Promise.all([server, ...servers].map((s) => s?.dispose()));
});
const start = async (env?: Record<string, string>) => {
  const s = await spawnServer({ env });
  servers.push(s);
  return s;
};

const rssMb = (s: SpawnedServer) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1]) / 1024;

interface Opened {
  ws: WebSocket;
  closed: Promise<number>;
  /** The close code once closed, else null. */
  code: number | null;
  messages: Buffer[];
}
interface Refused {
  status: number;
  body: string;
}
/** One websocket upgrade from `localAddress` (any 127.x address is this machine): opened or refused. */
function upgrade(url: string, localAddress = '127.0.0.1'): Promise<Opened | Refused> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress });
    sockets.push(ws);
    ws.on('error', () => {});
    const opened: Opened = {
      ws,
      messages: [],
      code: null,
      closed: new Promise<number>((done) =>
        ws.on('close', (code) => {
          opened.code = code;
          done(code);
        }),
      ),
    };
    ws.on('message', (data: Buffer) => opened.messages.push(data));
    ws.on('open', () => resolve(opened));
    ws.on('unexpected-response', (request, response) => {
      let body = '';
      response.on('data', (d: Buffer) => (body += d.toString()));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
        request.destroy();
      });
    });
  });
}
const isOpen = (u: Opened | Refused): u is Opened => 'ws' in u;
const rawSocket = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket;

/** A masked binary frame header announcing `length` bytes (mask key 0: the payload goes as is). */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header; // the last 4 bytes, the mask key, stay 0
}

/** The Hocuspocus Auth message for `documentName` (what a provider sends first). */
function authMessage(documentName: string, token: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, documentName);
  encoding.writeVarUint(e, 2); // MessageType.Auth
  encoding.writeVarUint(e, 0); // AuthMessageType.Token
  encoding.writeVarString(e, token);
  return encoding.toUint8Array(e);
}

describe.concurrent('websockets before login', () => {
  // What one waiting socket may hold: its pre-auth queue and one frame being received.
  const perSocketMb = (MAX_PREAUTH_QUEUE_BYTES + MAX_WS_PAYLOAD_BYTES) / MiB;
  const boundMb = MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS * perSocketMb + 40;

  it(`[S15] 120 sockets from one address, each holding ~2 MB before login: ${MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS} wait, the rest get 429, the server grows < ${boundMb} MB`, async () => {
    const own = await start();
    const before = rssMb(own);
    const tries = await Promise.all(Array.from({ length: 120 }, () => upgrade(own.wsUrl)));
    const opened = tries.filter(isOpen);
    // Each: a whole 1 MB message (queued until it authenticates) and a 1 MB frame left unfinished.
    for (const { ws } of opened) {
      ws.send(Buffer.alloc(1_000_000));
      rawSocket(ws).write(Buffer.concat([frameHeader(1_000_000), Buffer.alloc(990_000)]));
    }
    // The peak is a measurement over a window, not a condition to wait for.
    let peak = before;
    for (const until = Date.now() + 3_000; Date.now() < until;) {
      peak = Math.max(peak, rssMb(own));
      await new Promise((r) => setTimeout(r, 100));
    }
    // Before the limit all 120 were let in and held ~240 MB (issue 14: 40 sockets, 260 → 463 MB).
    expect(peak - before).toBeLessThan(boundMb);
    expect(opened.length).toBe(MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS);
    const refused = tries.filter((t): t is Refused => !isOpen(t));
    expect(refused.length).toBe(120 - MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body).toMatch(
        `too many unauthenticated websockets from this address: at most ${MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS}`,
      );
    }
    // The waiting ones are still open, and another address is not affected.
    expect(opened.filter((o) => o.code !== null)).toEqual([]);
    expect(isOpen(await upgrade(own.wsUrl, '127.0.0.2'))).toBe(true);
  }, 30_000);

  it('[S15] at most so many wait in all (503 past it); an authenticated or closed socket makes room', async () => {
    const own = await start({
      MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '3',
      MAX_UNAUTHENTICATED_SOCKETS: '4',
    });
    const user = await signup(own.url);
    const fromA = await Promise.all([1, 2, 3].map(() => upgrade(own.wsUrl)));
    expect(fromA.every(isOpen)).toBe(true);
    expect(await upgrade(own.wsUrl)).toMatchObject({ status: 429 });
    const fromB = await upgrade(own.wsUrl, '127.0.0.2');
    expect(isOpen(fromB)).toBe(true);
    const full = await upgrade(own.wsUrl, '127.0.0.2');
    expect(full).toMatchObject({ status: 503 });
    expect((full as Refused).body).toMatch('server busy: too many unauthenticated websockets: at most 4');

    // One socket authenticates a document: it no longer waits.
    const first = fromA[0] as Opened;
    first.ws.send(authMessage(workspaceDocName(user.userId), user.token));
    await waitFor(() => first.messages.length > 0, 'the authentication answer');
    expect(isOpen(await upgrade(own.wsUrl, '127.0.0.3'))).toBe(true);
    // One closes: room again.
    (fromB as Opened).ws.close();
    await (fromB as Opened).closed;
    await waitFor(async () => isOpen(await upgrade(own.wsUrl, '127.0.0.2')), 'room after a close');
  });

  it(`[S15] a socket queues at most ${MAX_PREAUTH_QUEUE_BYTES / MiB} MiB before its documents authenticate (closed 4205)`, async () => {
    const u = await upgrade(server.wsUrl);
    if (!isOpen(u)) throw new Error(`refused: ${u.status}`);
    u.ws.send(Buffer.alloc(600_000));
    u.ws.send(Buffer.alloc(600_000));
    // Hocuspocus's default queue (5 MiB) kept it open until the 10 s authentication deadline.
    expect(await waitFor(() => u.code, 'the close', 5_000)).toBe(4205);
  });
});

describe('websockets per user', () => {
  const peer = (url: string, name: string, token: string): Peer => {
    const p = connectPeer(url, name, token);
    cleanups.push(() => p.destroy());
    return p;
  };

  it('[S16] a user holds at most MAX_SOCKETS_PER_USER websockets at once, its Vibers as many of their own; a closed one makes room', async () => {
    const own = await start({ MAX_SOCKETS_PER_USER: '3' });
    const user = await signup(own.url);
    const workspace = workspaceDocName(user.userId);
    // One socket with two documents counts once.
    const shared = new HocuspocusProviderWebsocket({ url: own.wsUrl, WebSocketPolyfill: QuietWebSocket });
    const providers = [workspace, taskDocName(user.userId, 'two-on-one')].map((name) => {
      const provider = new HocuspocusProvider({ websocketProvider: shared, name, token: user.token });
      provider.attach();
      return provider;
    });
    cleanups.push(() => {
      for (const p of providers) p.destroy();
      shared.destroy();
    });
    await waitFor(() => providers.every((p) => p.isSynced), 'two documents on one socket');
    const more = [peer(own.wsUrl, workspace, user.token), peer(own.wsUrl, workspace, user.token)];
    await Promise.all(more.map((p) => p.synced));

    const fourth = peer(own.wsUrl, workspace, user.token);
    expect(await waitFor(() => fourth.authFailure(), 'the refusal')).toBe(
      limitReason('too many connections for this user: at most 3 at once'),
    );

    // The user's Vibers have their own budget: the full devices' one does not keep them out.
    const t = await api(own.url, 'POST', '/api/vibers/onboarding-tokens', { token: user.token });
    const { publicKey } = await generateKeyPair();
    const onboarded = await api(own.url, 'POST', '/api/vibers/onboard', {
      body: { token: t.body.token, name: 'box', publicKey },
    });
    const { viberId, authToken } = onboarded.body as { viberId: string; authToken: string };
    const vibers = [1, 2, 3].map(() => peer(own.wsUrl, viberDocName(user.userId, viberId), authToken));
    await Promise.all(vibers.map((p) => p.synced));
    const fourthViber = peer(own.wsUrl, viberDocName(user.userId, viberId), authToken);
    expect(await waitFor(() => fourthViber.authFailure(), 'the Viber refusal')).toBe(
      limitReason("too many connections for this user's Vibers: at most 3 at once"),
    );
    // Another user is not affected.
    const other = await signup(own.url);
    await peer(own.wsUrl, workspaceDocName(other.userId), other.token).synced;

    // A device closes: the next one gets in.
    more[0].destroy();
    await waitFor(async () => {
      const again = peer(own.wsUrl, workspace, user.token);
      await waitFor(() => again.authFailure() || again.provider.isSynced, 'an answer');
      if (again.provider.isSynced) return true;
      again.destroy();
      return false;
    }, 'room after a close');
  });
});

describe('sync requests per user', () => {
  /** A SyncStep1 for `documentName` from a peer that holds nothing: the server encodes all of it. */
  const syncStep1 = (documentName: string) => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, documentName);
    encoding.writeVarUint(e, 0); // MessageType.Sync
    encoding.writeVarUint(e, 0); // SyncStep1
    encoding.writeVarUint8Array(e, Uint8Array.of(0)); // an empty state vector
    return encoding.toUint8Array(e);
  };
  const authenticated = async (url: string, documentName: string, token: string) => {
    const opened = await upgrade(url);
    if (!isOpen(opened)) throw new Error(`refused: ${opened.status}`);
    opened.ws.send(authMessage(documentName, token));
    await waitFor(() => opened.messages.length >= 1, 'the authentication answer');
    return opened;
  };

  it("[S16] a user's SyncStep1 requests have a budget in document items per minute: past it the socket closes 4429, the user's other sockets too, one log line", async () => {
    // 1,000 items a minute, each request charged at least 100: ten requests on a small document.
    const own = await start({ SYNC_ITEMS_PER_MINUTE: '1000' });
    const user = await signup(own.url);
    const workspace = workspaceDocName(user.userId);
    const peer = await authenticated(own.wsUrl, workspace, user.token);
    for (let i = 0; i < 30; i++) peer.ws.send(syncStep1(workspace));
    expect(await peer.closed).toBe(4429);
    await waitFor(() => /sync requests over budget/.test(own.output()), 'the refusal in the log');
    expect(own.output().match(/sync requests over budget/g)).toHaveLength(1);
    // The budget is the user's, not the socket's: a new socket's first request is refused too.
    const again = await authenticated(own.wsUrl, workspace, user.token);
    again.ws.send(syncStep1(workspace));
    expect(await again.closed).toBe(4429);
    // Another user is not affected.
    const other = await signup(own.url);
    const theirs = await authenticated(own.wsUrl, workspaceDocName(other.userId), other.token);
    const answeredBefore = theirs.messages.length;
    theirs.ws.send(syncStep1(workspaceDocName(other.userId)));
    await waitFor(() => theirs.messages.length > answeredBefore, "the other user's sync answered");
    expect(theirs.code).toBeNull();
  });

  it('[S16] a provider that connects and syncs as the app does stays well within the default budget', async () => {
    const user = await signup(server.url);
    const peers: Peer[] = [];
    for (let i = 0; i < 5; i++) {
      const peer = connectPeer(server.wsUrl, workspaceDocName(user.userId), user.token);
      peers.push(peer);
      await peer.synced;
    }
    for (const peer of peers) peer.destroy();
    expect(server.output()).not.toMatch(/sync requests over budget/);
  });
});

describe('refusals in the log', () => {
  it('[S17] oversized, malformed and unauthenticated frames from 60 sockets: one log line for the address, no stack', async () => {
    const own = await start();
    const from = (n: number) => Promise.all(Array.from({ length: n }, () => upgrade(own.wsUrl)));
    const closedWith = async (u: Opened | Refused, send: (ws: WebSocket) => void) => {
      if (!isOpen(u)) throw new Error(`refused: ${u.status}`);
      send(u.ws);
      return u.closed;
    };
    const batch = async (send: (ws: WebSocket) => void) =>
      Promise.all((await from(15)).map((u) => closedWith(u, send)));
    const codes = [
      ...(await batch((ws) => ws.send(Buffer.alloc(MAX_WS_PAYLOAD_BYTES + 1)))),
      ...(await batch((ws) => ws.send(Buffer.from([0xff, 0xff, 0xff])))),
      // A text frame that is not UTF-8 (written raw: the client library would not send it).
      ...(await batch((ws) => rawSocket(ws).write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28])))),
    ];
    expect(new Set(codes)).toEqual(new Set([1009, 1002, 1007]));
    // Tokens nobody issued: refused, and not one line each either.
    const guesses = (await from(15)).filter(isOpen);
    for (const [i, u] of guesses.entries()) u.ws.send(authMessage(`u/usr_x/workspace`, `guess-${i}`));
    await waitFor(() => guesses.every((u) => u.messages.length > 0), 'every guess answered');

    const log = own.output();
    expect(log).not.toMatch(/^\s+at /m);
    expect(log).not.toMatch(/WSError|Unexpected end of array|onAuthenticate/);
    // All 60 in one window: the first is logged, the rest counted for the next line.
    expect(log.match(/websocket from 127\.0\.0\.1/g)).toHaveLength(1);
  });
});
