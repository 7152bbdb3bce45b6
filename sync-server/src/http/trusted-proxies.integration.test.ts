// [S19] Per-address limits behind a reverse proxy, against real server processes: with
// TRUSTED_PROXIES the client named in X-Forwarded-For has its own budget; without it the header
// is ignored, so a client cannot escape a limit by making one up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const LIMITS = { SIGNUPS_PER_HOUR: '2', MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '2' };
let proxied: SpawnedServer;
let direct: SpawnedServer;
beforeAll(async () => {
  [proxied, direct] = await Promise.all([
    spawnServer({ env: { ...LIMITS, TRUSTED_PROXIES: '127.0.0.1' } }),
    spawnServer({ env: LIMITS }),
  ]);
});
afterAll(async () => {
  await Promise.all([proxied?.dispose(), direct?.dispose()]);
});

let names = 0;
const signupAs = async (server: SpawnedServer, forwardedFor: string) =>
  (
    await fetch(`${server.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': forwardedFor },
      body: JSON.stringify({
        username: `proxied${process.pid}x${++names}`,
        password: 'correct horse battery',
      }),
    })
  ).status;

/** Opens a websocket claiming `forwardedFor`; resolves with 'open' or the refusal's status. */
const socketAs = (server: SpawnedServer, forwardedFor: string, opened: WebSocket[]) =>
  new Promise<string>((resolve) => {
    const ws = new WebSocket(server.wsUrl, { headers: { 'X-Forwarded-For': forwardedFor } });
    opened.push(ws);
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.once('error', () => resolve('error'));
  });

describe('[S19] per-address limits behind a trusted proxy', () => {
  it('signups: each forwarded client has its own budget behind TRUSTED_PROXIES', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await signupAs(proxied, '203.0.113.7'));
    expect(statuses).toEqual([201, 201, 429]);
    expect(await signupAs(proxied, '203.0.113.8')).toBe(201);
    // A client in front of the proxy cannot pick its address: the proxy appends what it saw.
    expect(await signupAs(proxied, '203.0.113.9, 203.0.113.7')).toBe(429);
  });

  it('the onboarding command says https when a trusted proxy says the user came over https, never on a made-up header', async () => {
    const commandFrom = async (server: SpawnedServer) => {
      const signup = await fetch(`${server.url}/api/auth/signup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `198.51.100.${++names % 250}` },
        body: JSON.stringify({
          username: `onboard${process.pid}x${++names}`,
          password: 'correct horse battery',
        }),
      });
      const { token } = (await signup.json()) as { token: string };
      const res = await fetch(`${server.url}/api/vibers/onboarding-tokens`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
          'X-Forwarded-Proto': 'https',
          'X-Forwarded-For': `198.51.100.${++names % 250}`,
        },
        body: '{}',
      });
      return ((await res.json()) as { command: string }).command;
    };
    const [behind, plain] = await Promise.all([
      spawnServer({ env: { TRUSTED_PROXIES: '127.0.0.1' } }),
      spawnServer({}),
    ]);
    try {
      expect(await commandFrom(behind)).toMatch(/--server https:\/\//);
      expect(await commandFrom(plain)).toMatch(/--server http:\/\//);
    } finally {
      await Promise.all([behind.dispose(), plain.dispose()]);
    }
  });

  it('signups: without TRUSTED_PROXIES a made-up header changes nothing', async () => {
    const statuses = [];
    for (const address of ['203.0.113.7', '203.0.113.8', '203.0.113.9'])
      statuses.push(await signupAs(direct, address));
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('unauthenticated websockets are counted per forwarded client', async () => {
    const opened: WebSocket[] = [];
    try {
      expect(await socketAs(proxied, '198.51.100.1', opened)).toBe('open');
      expect(await socketAs(proxied, '198.51.100.1', opened)).toBe('open');
      expect(await socketAs(proxied, '198.51.100.1', opened)).toBe('429');
      expect(await socketAs(proxied, '198.51.100.2', opened)).toBe('open');
      // The direct server counts them all as 127.0.0.1.
      expect(await socketAs(direct, '198.51.100.3', opened)).toBe('open');
      expect(await socketAs(direct, '198.51.100.4', opened)).toBe('open');
      expect(await socketAs(direct, '198.51.100.5', opened)).toBe('429');
    } finally {
      for (const ws of opened) ws.terminate();
    }
  });
});
