// [T7] the user's signing public key on a real server: set once, replaced only by a signed rotation.
import { keyRotationIntent } from '@openviber/shared';
import {
  generateKeyPair,
  generateSigningKeyPair,
  signIntent,
  signingKeyFingerprint,
} from '@openviber/shared/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, signup } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.dispose();
});

const key = (token: string | undefined, method = 'GET', body?: unknown) =>
  api(server.url, method, '/api/account/signing-key', { token, body });

async function onboardViber(userToken: string) {
  const t = await api(server.url, 'POST', '/api/vibers/onboarding-tokens', { token: userToken });
  const { publicKey } = await generateKeyPair();
  const res = await api(server.url, 'POST', '/api/vibers/onboard', {
    body: { token: t.body.token, name: 'box', publicKey },
  });
  return res.body.authToken as string;
}

describe('[T7] /api/account/signing-key', () => {
  it('is 404 until set; set once by the user; readable by the user and the user’s Vibers only', async () => {
    const alice = await signup(server.url, 'alice');
    const bob = await signup(server.url, 'bob');
    const viberToken = await onboardViber(alice.token);
    expect((await key(alice.token)).status).toBe(404);
    expect((await key(undefined)).status).toBe(401);

    const signing = await generateSigningKeyPair();
    const fingerprint = await signingKeyFingerprint(signing.publicKey);
    const put = await key(alice.token, 'PUT', { publicKey: signing.publicKey });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ publicKey: signing.publicKey, fingerprint });
    expect((await key(viberToken)).body).toEqual({ publicKey: signing.publicKey, fingerprint });
    expect((await key(bob.token)).status).toBe(404); // Bob's own account has none
    // A Viber token may read but never set it; the same key again is a no-op.
    expect((await key(viberToken, 'PUT', { publicKey: signing.publicKey })).status).toBe(403);
    expect((await key(alice.token, 'PUT', { publicKey: signing.publicKey })).status).toBe(200);
  });

  it('refuses to replace a set key without a rotation signed by the current key; accepts a signed one', async () => {
    const carol = await signup(server.url, 'carol');
    const first = await generateSigningKeyPair();
    const second = await generateSigningKeyPair();
    const mallory = await generateSigningKeyPair();
    await key(carol.token, 'PUT', { publicKey: first.publicKey });

    const plain = await key(carol.token, 'PUT', { publicKey: second.publicKey });
    expect([plain.status, plain.body.error.code, plain.body.error.field]).toEqual([
      409,
      'conflict',
      'rotation',
    ]);
    // Signed by a key that is not the current one (a server or thief that made its own).
    const forged = await signIntent(keyRotationIntent(first.publicKey, second.publicKey), mallory.privateKey);
    const bad = await key(carol.token, 'PUT', {
      publicKey: second.publicKey,
      rotation: { signature: forged },
    });
    expect([bad.status, bad.body.error.field]).toEqual([403, 'rotation.signature']);
    expect((await key(carol.token)).body.publicKey).toBe(first.publicKey);

    const signature = await signIntent(
      keyRotationIntent(first.publicKey, second.publicKey),
      first.privateKey,
    );
    const ok = await key(carol.token, 'PUT', { publicKey: second.publicKey, rotation: { signature } });
    expect(ok.status).toBe(200);
    expect((await key(carol.token)).body.publicKey).toBe(second.publicKey);
  });

  it('names the bad field of a malformed body', async () => {
    const dave = await signup(server.url, 'dave');
    const res = await key(dave.token, 'PUT', { publicKey: 'not a key' });
    expect([res.status, res.body.error.field]).toEqual([400, 'publicKey']);
  });
});

describe('[T12] POST /api/account/signing-key/reset: every device and the recovery code lost', () => {
  const reset = (token: string | undefined, body: unknown) =>
    api(server.url, 'POST', '/api/account/signing-key/reset', { token, body });

  it('replaces the key only with the account password (401 otherwise), without the old key’s signature', async () => {
    const dave = await signup(server.url, 'reset-dave');
    const lost = await generateSigningKeyPair();
    const fresh = await generateSigningKeyPair();
    await key(dave.token, 'PUT', { publicKey: lost.publicKey });

    const wrong = await reset(dave.token, { password: 'not-the-password', publicKey: fresh.publicKey });
    expect([wrong.status, wrong.body.error.field]).toEqual([401, 'password']);
    expect(
      (await reset(undefined, { password: 'correct horse battery', publicKey: fresh.publicKey })).status,
    ).toBe(401);
    expect((await key(dave.token)).body.publicKey).toBe(lost.publicKey);

    const ok = await reset(dave.token, { password: 'correct horse battery', publicKey: fresh.publicKey });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      publicKey: fresh.publicKey,
      fingerprint: await signingKeyFingerprint(fresh.publicKey),
    });
    expect((await key(dave.token)).body.publicKey).toBe(fresh.publicKey);
  });

  it('is throttled like a login: the user name’s budget of failures, shared with /api/auth/login', async () => {
    const erin = await signup(server.url, 'reset-erin');
    const fresh = await generateSigningKeyPair();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await reset(erin.token, { password: `wrong-guess-${i}`, publicKey: fresh.publicKey })).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // The right password waits too, and so does a login at that name: the budget is one.
    const right = await reset(erin.token, { password: 'correct horse battery', publicKey: fresh.publicKey });
    expect([right.status, right.headers.get('retry-after')]).toEqual([429, expect.stringMatching(/^\d+$/)]);
    const login = await api(server.url, 'POST', '/api/auth/login', {
      body: { username: 'reset-erin', password: 'correct horse battery' },
    });
    expect(login.status).toBe(429);
  });
});
