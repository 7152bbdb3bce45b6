// [S18] Plain HTTP connections are counted per client address and in all, against a real server
// process, with idle sockets held open the way a stranger would (connect, send nothing). Loopback
// addresses 127.0.0.x stand in for different clients.
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, waitFor } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const PER_ADDRESS = 4;
const OVERALL = 6;

let server: SpawnedServer;
let port: number;
const held: Socket[] = [];

beforeAll(async () => {
  server = await spawnServer({
    env: { MAX_HTTP_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS), MAX_HTTP_CONNECTIONS: String(OVERALL) },
  });
  port = Number(new URL(server.url).port);
});
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  // The server counts a connection until it sees it close.
  await waitFor(
    async () => (await request('127.0.0.9', 'GET /api/health')).startsWith('HTTP/1.1 200'),
    'the held connections to be released',
  );
});
afterAll(async () => {
  await server?.dispose();
});

/** An idle connection from `from`, open once the server accepted it. */
async function hold(from: string): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  held.push(socket);
  // accept() and the 'connection' event come a moment after connect() returns on our side.
  await new Promise((r) => setTimeout(r, 50));
  return socket;
}

/** Sends `line` (a request line, plus `body` as JSON) from `from`; everything the server answered until it closed. */
function request(from: string, line: string, body?: unknown): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => {
      const text = body === undefined ? '' : JSON.stringify(body);
      socket.write(
        `${line} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n` +
          (text ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` : '') +
          `\r\n${text}`,
      );
    });
  });
}

describe('[S18] plain HTTP connections at once', () => {
  it(`one address holds at most ${PER_ADDRESS}: the next is answered 429 naming the limit, others are still served`, async () => {
    for (let i = 0; i < PER_ADDRESS; i++) await hold('127.0.0.2');
    const refused = await request('127.0.0.2', 'GET /api/health');
    expect(refused).toMatch(/^HTTP\/1.1 429 /);
    expect(refused).toMatch(/Retry-After: \d+/);
    expect(refused).toContain(`too many connections from this address: at most ${PER_ADDRESS} at once`);
    expect(await request('127.0.0.3', 'GET /api/health')).toMatch(/^HTTP\/1.1 200 /);

    // A closed connection makes room for the address again.
    held.shift()!.destroy();
    await waitFor(
      async () => (await request('127.0.0.2', 'GET /api/health')).startsWith('HTTP/1.1 200'),
      'room for the address',
    );
    // The refusal is one log line, no stack trace.
    expect(server.output()).toContain('too many connections from this address');
    expect(server.output()).not.toMatch(/\n\s+at .*http-connections/);
  });

  it(`all addresses together hold at most ${OVERALL}: past it 503`, async () => {
    for (let i = 0; i < PER_ADDRESS; i++) await hold('127.0.0.4');
    for (let i = 0; i < OVERALL - PER_ADDRESS; i++) await hold('127.0.0.5');
    const refused = await request('127.0.0.6', 'GET /api/health');
    expect(refused).toMatch(/^HTTP\/1.1 503 /);
    expect(refused).toContain(`server busy: too many connections: at most ${OVERALL} at once`);
  });

  it('a request sent on a refused connection never reaches the API', async () => {
    for (let i = 0; i < PER_ADDRESS; i++) await hold('127.0.0.7');
    const username = `refused${process.pid}`;
    const answer = await request('127.0.0.7', 'POST /api/auth/signup', {
      username,
      password: 'correct horse battery',
    });
    expect(answer).toMatch(/^HTTP\/1.1 429 /);
    expect(answer).not.toContain('token');
    for (const s of held.splice(0)) s.destroy();
    await waitFor(
      async () => (await request('127.0.0.7', 'GET /api/health')).startsWith('HTTP/1.1 200'),
      'room for the address',
    );
    // Not created: signing up with the name now succeeds.
    expect(
      (await api(server.url, 'POST', '/api/auth/signup', { body: { username, password: 'x'.repeat(12) } }))
        .status,
    ).toBe(201);
  });

  it('websockets stop counting once upgraded: more than the limit stay open and HTTP is still served', async () => {
    // One after the other: a burst of upgrades from one address is counted until each upgrades.
    const sockets: WebSocket[] = [];
    for (let i = 0; i < OVERALL + 2; i++) {
      const ws = new WebSocket(server.wsUrl, { localAddress: '127.0.0.8' });
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    }
    try {
      expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
      expect(await request('127.0.0.8', 'GET /api/health')).toMatch(/^HTTP\/1.1 200 /);
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
});
