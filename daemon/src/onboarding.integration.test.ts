import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readHealth, viberDocName } from '@openviber/shared';
import { keyFingerprint } from '@openviber/shared/crypto';
import { call, ok, signupUser } from '../test/server-api.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { userPeer } from '../test/user-peer.ts';
import { onboardViber, runCli } from '../test/viber-process.ts';
import { waitFor } from '../test/wait-for.ts';

describe('viber onboard / start / status', async () => {
  const server = await useServer();
  let user: { token: string; userId: string };
  beforeAll(async () => {
    user = await signupUser(server.url);
  });

  it('[X1] onboards with a key pair kept in a 0600 config, prints the fingerprint, and refuses a reused token', async () => {
    const home = tempDir('viber-home-');
    const { token } = await ok(server.url, 'POST', '/api/vibers/onboarding-tokens', user.token);
    const first = await runCli(home, [
      'onboard',
      '--server',
      server.url,
      '--token',
      token,
      '--name',
      'laptop',
    ]);
    expect(first.code).toBe(0);
    const config = JSON.parse((await import('node:fs')).readFileSync(join(home, 'config.json'), 'utf8'));
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    expect(first.stdout).toContain(await keyFingerprint(config.publicKey));
    const vibers = await ok(server.url, 'GET', '/api/vibers', user.token);
    expect(vibers.find((v: { id: string }) => v.id === config.viberId)).toMatchObject({
      name: 'laptop',
      publicKey: config.publicKey,
    });
    expect(JSON.stringify(vibers)).not.toContain(config.privateKey);

    const { token: second } = await ok(server.url, 'POST', '/api/vibers/onboarding-tokens', user.token);
    const twice = await runCli(home, ['onboard', '--server', server.url, '--token', second]);
    expect(twice.stderr).toContain('--force');
    expect(JSON.parse((await import('node:fs')).readFileSync(join(home, 'config.json'), 'utf8'))).toEqual(
      config,
    );

    const again = await runCli(tempDir('viber-home-'), ['onboard', '--server', server.url, '--token', token]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already used/);
    const bogus = await runCli(tempDir('viber-home-'), [
      'onboard',
      '--server',
      server.url,
      '--token',
      'not-a-token',
    ]);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/onboarding token/);
  });

  it('bad flags, missing config and a corrupt config get clear errors; --help works on every command', async () => {
    const home = tempDir('viber-home-');
    for (const cmd of ['onboard', 'start', 'status']) {
      const help = await runCli(home, [cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: viber ${cmd}`);
    }
    expect((await runCli(home, ['onboard', '--server', server.url])).stderr).toContain('--token is required');
    expect((await runCli(home, ['start', '--frobnicate'])).stderr).toContain("Unknown option '--frobnicate'");
    expect((await runCli(home, ['launch'])).stderr).toContain("unknown command 'launch'");
    expect((await runCli(home, ['start'])).stderr).toContain('viber onboard');
    (await import('node:fs')).writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({
        server: 'ftp://x',
        userId: 'u',
        viberId: 'v',
        name: 'n',
        authToken: 't',
        publicKey: 'nope',
        privateKey: 'nope',
        createdAt: 1,
      }),
    );
    const corrupt = await runCli(home, ['status']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/server: must be an http/);
    expect(corrupt.stderr).toMatch(/publicKey: must be a base64/);
  });

  it('[S7] start shows the Viber online with its health within seconds, and offline soon after a kill; status reports the server', async () => {
    const viber = await onboardViber(server.url, user.token);
    const peer = userPeer(server.wsUrl, user.token);
    const docName = viberDocName(user.userId, viber.config.viberId);
    const doc = await peer.doc(docName);
    viber.start();
    const startedAt = Date.now();
    await waitFor(
      async () =>
        (await ok(server.url, 'GET', '/api/vibers', user.token)).find(
          (v: { id: string; online: boolean }) => v.id === viber.config.viberId,
        )?.online,
      { what: 'online' },
    );
    const onlineAfter = Date.now() - startedAt;
    expect(onlineAfter).toBeLessThan(10_000); // a cold `node` start included, on a loaded CI machine
    const health = await waitFor(() => readHealth(doc));
    expect(health.capabilities?.git).toBe(true);
    await waitFor(
      () =>
        peer.awareness(docName).some((s) => (s as { viber?: { online?: boolean } }).viber?.online === true),
      { what: 'awareness' },
    );

    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toContain(server.url);
    expect(status.stdout).toContain('reachable');

    await viber.kill();
    await waitFor(
      async () =>
        (await call(server.url, 'GET', '/api/vibers', user.token)).body.find(
          (v: { id: string }) => v.id === viber.config.viberId,
        )?.online === false,
      { what: 'offline' },
    );
  });

  it('[S4] a removed Viber is refused by the server and its daemon stops with a clear message', async () => {
    const viber = await onboardViber(server.url, user.token);
    viber.start();
    await waitFor(
      async () =>
        (await ok(server.url, 'GET', '/api/vibers', user.token)).find(
          (v: { id: string; online: boolean }) => v.id === viber.config.viberId,
        )?.online,
      { what: 'online' },
    );
    await ok(server.url, 'DELETE', `/api/vibers/${viber.config.viberId}`, user.token);
    const removedAt = Date.now();
    expect(await viber.exited()).toBe(2);
    expect(Date.now() - removedAt).toBeLessThan(10_000);
    expect(viber.output()).toMatch(/refused this Viber's token/);
  });
});
