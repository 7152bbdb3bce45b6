// `viber status` and `viber onboard` tell the truth about the daemon and the server: real servers,
// real `viber` processes, and a plain node:http server on the "wrong port".
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '@openviber/shared/crypto';
import { spawnServer } from '../../sync-server/testing/spawn-server.ts';
import { ok, signupUser } from '../test/server-api.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { onboardViber, runCli } from '../test/viber-process.ts';
import { waitFor } from '../test/wait-for.ts';
import { pidFilePath } from './pid-file.ts';

/** An HTTP server that is not OpenViber: answers every request with `status` and `body`. */
async function otherHttpServer(status: number, body: string, type = 'text/html'): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('viber status: the daemon and the server, each said and reflected in the exit code', async () => {
  const server = await useServer();
  let user: { token: string; userId: string };
  beforeAll(async () => {
    user = await signupUser(server.url);
  });

  it('[C2] no daemon running: says so with the start command and exits 1, while the server is reachable', async () => {
    const viber = await onboardViber(server.url, user.token, 'idle-box');
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toMatch(/Daemon:\s+not running; run: viber start/);
    expect(status.stdout).toMatch(/Server:\s+\S+: reachable \(OpenViber /);
    expect(status.stdout).toMatch(/Trust:\s+the server \(onboarded without --trust\)/);
    expect(status.stdout).toContain(await keyFingerprint(viber.config.publicKey));
    expect(status.code).toBe(1);
  });

  it('[C2] running daemon: pid and start time, exit 0; after kill -9 the stale pid file is recognised; a second start is refused', async () => {
    const viber = await onboardViber(server.url, user.token, 'busy-box');
    viber.start();
    await waitFor(
      async () =>
        (await ok(server.url, 'GET', '/api/vibers', user.token)).find(
          (v: { id: string; online: boolean }) => v.id === viber.config.viberId,
        )?.online,
      { what: 'online' },
    );
    const running = await runCli(viber.home, ['status']);
    expect(running.stdout).toMatch(/Daemon:\s+running \(pid \d+, since \d{4}-/);
    expect(running.code).toBe(0);

    const second = await runCli(viber.home, ['start']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already runs for .* \(pid \d+/);
    // The refused second start leaves the first one's record alone.
    expect((await runCli(viber.home, ['status'])).code).toBe(0);

    const { pid } = JSON.parse(readFileSync(pidFilePath(viber.home), 'utf8')) as { pid: number };
    await viber.kill();
    const dead = await runCli(viber.home, ['status']);
    expect(dead.stdout).toMatch(
      new RegExp(`Daemon:\\s+not running \\(pid ${pid}, .*ended without stopping\\)`),
    );
    expect(dead.code).toBe(1);

    // A clean stop removes the record.
    viber.start();
    await waitFor(
      () => (JSON.parse(readFileSync(pidFilePath(viber.home), 'utf8')) as { pid: number }).pid !== pid,
      {
        what: 'new pid file',
      },
    );
    await viber.stop();
    expect(existsSync(pidFilePath(viber.home))).toBe(false);
  });

  it('[C2] four starts at once on one home: exactly one daemon runs, the others are refused', async () => {
    const viber = await onboardViber(server.url, user.token, 'racer');
    const starts = Array.from({ length: 4 }, () => runCli(viber.home, ['start']));
    const settled: { code: number; stderr: string }[] = [];
    for (const start of starts) void start.then((r) => settled.push(r));
    await waitFor(() => settled.length === 3, { what: 'three refused starts', timeoutMs: 30_000 });
    for (const refused of settled) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already runs for|start for .* is under way/);
    }
    const status = await waitFor(async () => {
      const r = await runCli(viber.home, ['status']);
      return r.code === 0 ? r : null;
    });
    expect(status.stdout).toMatch(/Daemon:\s+running/);
    const { pid } = JSON.parse(readFileSync(pidFilePath(viber.home), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGTERM');
    await waitFor(() => settled.length === 4, { what: 'the winner stopped' });
    expect(settled[3].code).toBe(0);
    expect(existsSync(pidFilePath(viber.home))).toBe(false);
  });

  it('[C2] a pid file naming a live process that is not the daemon (pid reused) counts as not running', async () => {
    const viber = await onboardViber(server.url, user.token, 'reused-pid');
    // A long-lived process that is certainly not our daemon, with a start time that does not match.
    const other = spawn('sleep', ['60']);
    afterAll(() => other.kill('SIGKILL'));
    writeFileSync(
      pidFilePath(viber.home),
      JSON.stringify({ pid: other.pid, startedAt: Date.now() - 60_000, processStart: '1' }),
    );
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toMatch(/Daemon:\s+not running \(pid/);
    expect(status.code).toBe(1);
    // And it does not block a start.
    viber.start();
    await waitFor(() => viber.output().includes('connected'), { what: 'daemon connected' });
    expect((await runCli(viber.home, ['status'])).code).toBe(0);
    await viber.stop();
  });

  it('[C2] server down: "unreachable", never "reachable", exit 1', async () => {
    const own = await spawnServer();
    afterAll(() => own.dispose());
    const owner = await signupUser(own.url);
    const viber = await onboardViber(own.url, owner.token, 'orphan');
    await own.stop();
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toMatch(/Server:\s+\S+: unreachable \(cannot reach/);
    expect(status.stdout).not.toMatch(/: reachable/);
    expect(status.code).toBe(1);
  });

  it('[C2] a removed Viber: the server is reachable but refuses it, exit 1', async () => {
    const viber = await onboardViber(server.url, user.token, 'removed');
    await ok(server.url, 'DELETE', `/api/vibers/${viber.config.viberId}`, user.token);
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toMatch(/reachable, but refused this Viber \(40[134]/);
    expect(status.code).toBe(1);
  });

  it('[C2] another HTTP server at the configured URL: "no OpenViber server", exit 1', async () => {
    const viber = await onboardViber(server.url, user.token, 'moved');
    const wrong = await otherHttpServer(200, '<html>hello</html>');
    const config = JSON.parse(readFileSync(join(viber.home, 'config.json'), 'utf8'));
    writeFileSync(join(viber.home, 'config.json'), JSON.stringify({ ...config, server: wrong }));
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toContain(`no OpenViber server at ${wrong}`);
    expect(status.code).toBe(1);
  });
});

describe('viber onboard: a wrong URL is named as such, not blamed on the token', async () => {
  const server = await useServer();
  let token: string;
  beforeAll(async () => {
    const user = await signupUser(server.url);
    ({ token } = await ok(server.url, 'POST', '/api/vibers/onboarding-tokens', user.token));
  });

  for (const [what, status, body, type] of [
    ['answers 501 to everything', 501, 'Not Implemented', 'text/plain'],
    ['serves an HTML page at every path', 200, '<!doctype html><title>router</title>', 'text/html'],
    ['answers JSON that is not OpenViber health', 200, '{"ok":false}', 'application/json'],
  ] as const) {
    it(`[C1] another HTTP server on the port that ${what}: "no OpenViber server at <url>", nothing saved`, async () => {
      const wrong = await otherHttpServer(status, body, type);
      const home = tempDir('viber-home-');
      const result = await runCli(home, ['onboard', '--server', wrong, '--token', token, '--name', 'x']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`no OpenViber server at ${wrong}`);
      expect(result.stderr).not.toMatch(/token/);
      expect(existsSync(join(home, 'config.json'))).toBe(false);
    });
  }

  it('[C1] nothing listening: "cannot reach <url>"', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((done) => probe.close(done));
    const result = await runCli(tempDir('viber-home-'), ['onboard', '--server', url, '--token', token]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach ${url}`);
  });

  it('[C1] the right server: a bad --name is named, the token is still usable afterwards', async () => {
    const home = tempDir('viber-home-');
    const bad = await runCli(home, [
      'onboard',
      '--server',
      server.url,
      '--token',
      token,
      '--name',
      'no/slashes',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused --name .*name: must be/);
    const good = await runCli(home, ['onboard', '--server', server.url, '--token', token, '--name', 'fine']);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
  });
});
