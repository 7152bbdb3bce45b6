// Every route of design §6 against a real server process, with its errors; API writes seen live by peers.
import { generateKeyPair, sealSecret } from '@openviber/shared/crypto';
import {
  appendRunOutput,
  listEnvironments,
  listMessages,
  runOutputDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
  writeObservation,
  writeRun,
  type Binding,
  SCHEMA_VERSION,
} from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';
import { MAX_ONBOARDING_TOKENS_PER_USER, MAX_VIBERS_PER_USER, VIBER_SEEN_INTERVAL_MS } from '../limits.ts';

let server: SpawnedServer;
let user: { token: string; userId: string; username: string };
let viber: { viberId: string; authToken: string; publicKey: string };
const peers: Peer[] = [];
const peer = (name: string, token: string) => {
  const p = connectPeer(server.wsUrl, name, token);
  peers.push(p);
  return p;
};
const call = (method: string, path: string, body?: unknown, token: string | null = user.token) =>
  api(server.url, method, path, { token: token ?? undefined, body });

async function onboard(token: string, name = 'box') {
  const t = await api(server.url, 'POST', '/api/vibers/onboarding-tokens', { token });
  const { publicKey } = await generateKeyPair();
  const res = await api(server.url, 'POST', '/api/vibers/onboard', {
    body: { token: t.body.token, name, publicKey },
  });
  return {
    ...res.body,
    publicKey,
    onboardingToken: t.body.token as string,
    command: t.body.command as string,
  };
}

beforeAll(async () => {
  server = await spawnServer();
  user = await signup(server.url, 'alice');
  viber = await onboard(user.token, 'alice-box');
});
afterAll(async () => {
  for (const p of peers) p.destroy();
  await server?.dispose();
});

const errorOf = (res: { status: number; body: any }) => [
  res.status,
  res.body?.error?.code,
  res.body?.error?.field,
];

describe('auth', () => {
  it('[S12] health needs no token and says the document schema version the server writes', async () => {
    expect((await call('GET', '/api/health', undefined, null)).body).toEqual({
      ok: true,
      version: expect.any(String),
      schemaVersion: SCHEMA_VERSION,
    });
  });
  it('signup validates and refuses a taken name; login and logout work', async () => {
    expect(
      errorOf(await call('POST', '/api/auth/signup', { username: 'alice', password: 'whatever123' }, null)),
    ).toEqual([409, 'conflict', 'username']);
    expect(
      errorOf(await call('POST', '/api/auth/signup', { username: 'a b', password: 'whatever123' }, null)),
    ).toEqual([400, 'validation_error', 'username']);
    expect(
      errorOf(await call('POST', '/api/auth/signup', { username: 'carol', password: 'short' }, null)),
    ).toEqual([400, 'validation_error', 'password']);
    expect(
      errorOf(
        await call(
          'POST',
          '/api/auth/signup',
          { username: 'carol', password: 'whatever123', admin: true },
          null,
        ),
      ),
    ).toEqual([400, 'validation_error', 'admin']);
    expect(errorOf(await call('POST', '/api/auth/signup', '{"username": "carol", ', null))).toEqual([
      400,
      'invalid_json',
      undefined,
    ]);
    expect(
      errorOf(await call('POST', '/api/auth/login', { username: 'alice', password: 'wrong password' }, null)),
    ).toEqual([401, 'unauthorized', undefined]);
    const login = await call(
      'POST',
      '/api/auth/login',
      { username: 'alice', password: 'correct horse battery' },
      null,
    );
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ id: user.userId, username: 'alice' });
    expect((await call('GET', '/api/environments', undefined, login.body.token)).status).toBe(200);
    expect((await call('POST', '/api/auth/logout', undefined, login.body.token)).status).toBe(200);
    expect(errorOf(await call('GET', '/api/environments', undefined, login.body.token))).toEqual([
      401,
      'unauthorized',
      undefined,
    ]);
  });
  it('repeated failed logins are throttled with 429 and Retry-After', async () => {
    await signup(server.url, 'dave');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await call('POST', '/api/auth/login', { username: 'dave', password: `wrong-${i}-pass` }, null))
          .status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const blocked = await call(
      'POST',
      '/api/auth/login',
      { username: 'dave', password: 'correct horse battery' },
      null,
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
  it('oversized bodies get 413, missing tokens 401, Viber tokens on user routes 403, unknown routes 404', async () => {
    const huge = JSON.stringify({ name: 'x', type: 'manual', description: 'y'.repeat(300 * 1024) });
    expect(errorOf(await call('POST', '/api/environments', huge))).toEqual([
      413,
      'payload_too_large',
      undefined,
    ]);
    expect(errorOf(await call('GET', '/api/environments', undefined, null))).toEqual([
      401,
      'unauthorized',
      undefined,
    ]);
    expect(errorOf(await call('GET', '/api/environments', undefined, viber.authToken))).toEqual([
      403,
      'forbidden',
      undefined,
    ]);
    expect(errorOf(await call('GET', '/api/nope'))).toEqual([404, 'not_found', undefined]);
  });
});

describe('environments', () => {
  it('an API write reaches a connected peer live', async () => {
    const ws = peer(`u/${user.userId}/workspace`, user.token);
    await ws.synced;
    const res = await call('POST', '/api/environments', {
      name: 'live-env',
      type: 'github',
      repoUrl: 'https://github.com/acme/api.git',
      vars: { NODE_ENV: 'test' },
    });
    expect(res.status).toBe(201);
    const seen = await waitFor(
      () => listEnvironments(ws.doc).find((e) => e.id === res.body.id),
      'environment in the peer',
    );
    expect(seen).toMatchObject({
      name: 'live-env',
      repoUrl: 'https://github.com/acme/api.git',
      vars: { NODE_ENV: 'test' },
    });
  });

  it.each([
    ['repoUrl', { repoUrl: '--upload-pack=touch /tmp/x' }],
    ['repoUrl', { repoUrl: 'ext::sh -c id' }],
    ['repoUrl', { repoUrl: 'https://x/y;rm -rf' }],
    ['workingDir', { workingDir: '../../etc' }],
    ['secrets.TOKEN', { secrets: { TOKEN: 'plaintext-value' } }],
    ['networkAccess', { networkAccess: 'no' }],
    ['colour', { colour: 'blue' }],
  ])('refuses bad input naming %s, storing nothing', async (field, extra) => {
    const before = (await call('GET', '/api/environments')).body;
    const res = await call('POST', '/api/environments', {
      name: 'bad',
      type: 'github',
      repoUrl: 'https://github.com/a/b.git',
      ...extra,
    });
    expect(errorOf(res)).toEqual([400, 'validation_error', field]);
    expect(res.body.error.message).toContain(field);
    expect((await call('GET', '/api/environments')).body).toEqual(before);
  });

  it('[X3] stores sealed secrets, lists them as { scope, updatedAt, sealedFor } without the ciphertext, and refuses ones sealed to strangers', async () => {
    const box = await sealSecret('s3cret-token-value', viber.publicKey);
    const stranger = await call('POST', '/api/environments', {
      name: 'x',
      type: 'manual',
      secrets: { TOKEN: { sealed: { vbr_unknown: box } } },
    });
    expect(errorOf(stranger)).toEqual([400, 'validation_error', 'secrets.TOKEN.sealed.vbr_unknown']);
    const res = await call('POST', '/api/environments', {
      name: 'with-secret',
      type: 'manual',
      secrets: { TOKEN: { sealed: { [viber.viberId]: box }, scope: 'setup' } },
    });
    expect(res.status).toBe(201);
    expect(res.body.secrets).toEqual({
      TOKEN: { scope: 'setup', updatedAt: expect.any(Number), sealedFor: [viber.viberId] },
    });
    const all = JSON.stringify((await call('GET', `/api/environments/${res.body.id}`)).body);
    expect(all).not.toContain(box);
    expect(all).not.toContain('s3cret-token-value');
  });

  it('get, patch (merge, null deletes), cross-field checks, delete, and 404s', async () => {
    const { body: env } = await call('POST', '/api/environments', {
      name: 'crud',
      type: 'github',
      repoUrl: 'https://github.com/a/b.git',
      vars: { A: '1', B: '2' },
    });
    expect((await call('GET', `/api/environments/${env.id}`)).body.name).toBe('crud');
    const patched = await call('PUT', `/api/environments/${env.id}`, {
      description: 'd',
      vars: { A: null, C: '3' },
    });
    expect(patched.body).toMatchObject({ name: 'crud', description: 'd', vars: { B: '2', C: '3' } });
    expect(errorOf(await call('PUT', `/api/environments/${env.id}`, { repoUrl: '' }))).toEqual([
      400,
      'validation_error',
      'repoUrl',
    ]);
    expect(errorOf(await call('PUT', `/api/environments/${env.id}`, { workingDir: 'a/../../b' }))).toEqual([
      400,
      'validation_error',
      'workingDir',
    ]);
    expect((await call('GET', `/api/environments/${env.id}`)).body).toMatchObject({
      repoUrl: 'https://github.com/a/b.git',
      workingDir: '',
    });
    const other = await signup(server.url);
    expect(errorOf(await call('GET', `/api/environments/${env.id}`, undefined, other.token))).toEqual([
      404,
      'not_found',
      undefined,
    ]);
    expect((await call('DELETE', `/api/environments/${env.id}`)).status).toBe(200);
    expect(errorOf(await call('GET', `/api/environments/${env.id}`))).toEqual([404, 'not_found', undefined]);
    expect(errorOf(await call('PUT', `/api/environments/${env.id}`, { name: 'x' }))).toEqual([
      404,
      'not_found',
      undefined,
    ]);
  });
});

describe('bindings', () => {
  it('binds, derives status from what the Viber observed, bumps the generation, and refuses bad bindings', async () => {
    const { body: env } = await call('POST', '/api/environments', { name: 'bound', type: 'manual' });
    expect(
      errorOf(
        await call('POST', `/api/environments/${env.id}/bindings`, {
          viberId: 'vbr_nope',
          strategy: 'clone',
        }),
      ),
    ).toEqual([400, 'validation_error', 'viberId']);
    expect(
      errorOf(
        await call('POST', `/api/environments/${env.id}/bindings`, {
          viberId: viber.viberId,
          strategy: 'existing',
        }),
      ),
    ).toEqual([400, 'validation_error', 'existingPath']);
    expect(
      errorOf(
        await call('POST', `/api/environments/${env.id}/bindings`, {
          viberId: viber.viberId,
          strategy: 'existing',
          existingPath: '/srv/../etc',
        }),
      ),
    ).toEqual([400, 'validation_error', 'existingPath']);
    const created = await call('POST', `/api/environments/${env.id}/bindings`, {
      viberId: viber.viberId,
      strategy: 'clone',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      generation: 1,
      status: 'pending',
      lastError: '',
      resolvedWorkingDir: '',
    });
    expect(
      errorOf(
        await call('POST', `/api/environments/${env.id}/bindings`, {
          viberId: viber.viberId,
          strategy: 'clone',
        }),
      ),
    ).toEqual([409, 'conflict', 'viberId']);

    // The Viber reports it prepared generation 1 of the current spec.
    const binding = created.body as Binding;
    const config = await call('GET', `/api/vibers/${viber.viberId}/config`, undefined, viber.authToken);
    expect(config.body.bindings.map((b: Binding) => b.id)).toContain(binding.id);
    const { environmentSpecHash, getEnvironment } = await import('@openviber/shared');
    const ws = peer(`u/${user.userId}/workspace`, user.token);
    await ws.synced;
    const specHash = environmentSpecHash(getEnvironment(ws.doc, env.id)!, binding);
    const vdoc = peer(viberDocName(user.userId, viber.viberId), viber.authToken);
    await vdoc.synced;
    writeObservation(vdoc.doc, binding.id, {
      observedGeneration: 1,
      state: 'ready',
      resolvedWorkingDir: '/w/bound',
      lastPrepareAt: Date.now(),
      specHash,
      lastError: '',
    });
    await waitFor(
      async () => (await call('GET', `/api/environments/${env.id}/bindings`)).body[0]?.status === 'ready',
      'status ready',
    );
    expect((await call('GET', `/api/environments/${env.id}/bindings`)).body[0]).toMatchObject({
      resolvedWorkingDir: '/w/bound',
      lastPrepareAt: expect.any(Number),
    });
    await call('PUT', `/api/environments/${env.id}`, { setupScript: 'make' });
    expect((await call('GET', `/api/environments/${env.id}/bindings`)).body[0].status).toBe('stale');
    const prepared = await call('POST', `/api/bindings/${binding.id}/prepare`);
    expect(prepared.body).toMatchObject({ generation: 2, status: 'pending' });
    expect(errorOf(await call('POST', '/api/bindings/bnd_missing/prepare'))).toEqual([
      404,
      'not_found',
      undefined,
    ]);
  });
});

describe('tasks', () => {
  it('creates tasks on the bound Viber, takes messages live, reports runs, cancels', async () => {
    const { body: env } = await call('POST', '/api/environments', { name: 'tasks-env', type: 'manual' });
    await call('POST', `/api/environments/${env.id}/bindings`, { viberId: viber.viberId, strategy: 'clone' });
    expect(errorOf(await call('POST', '/api/tasks', { environmentId: 'env_missing', title: 'x' }))).toEqual([
      400,
      'validation_error',
      'environmentId',
    ]);
    expect(
      errorOf(await call('POST', '/api/tasks', { environmentId: env.id, title: 'x', viberId: 'vbr_other' })),
    ).toEqual([400, 'validation_error', 'viberId']);
    const { body: task, status } = await call('POST', '/api/tasks', {
      environmentId: env.id,
      title: 'Fix the build',
    });
    expect(status).toBe(201);
    expect(task).toMatchObject({ title: 'Fix the build', status: 'active', viberId: viber.viberId });
    expect(
      (await call('GET', `/api/tasks?environmentId=${env.id}`)).body.map((t: { id: string }) => t.id),
    ).toEqual([task.id]);

    const tdoc = peer(taskDocName(user.userId, task.id), viber.authToken);
    await tdoc.synced;
    const msg = await call('POST', `/api/tasks/${task.id}/messages`, { text: 'echo hello' });
    expect(msg.status).toBe(201);
    await waitFor(
      () => listMessages(tdoc.doc).some((m) => m.id === msg.body.id && m.text === 'echo hello'),
      'message in the Viber peer',
    );
    expect(errorOf(await call('POST', `/api/tasks/${task.id}/messages`, { text: '' }))).toEqual([
      400,
      'validation_error',
      'text',
    ]);

    // The Viber runs it and reports output.
    const rdoc = peer(runOutputDocName(user.userId, viber.viberId, task.id), viber.authToken);
    await rdoc.synced;
    writeRun(rdoc.doc, msg.body.id, { state: 'completed', exitCode: 0, startedAt: 1, endedAt: 2 });
    appendRunOutput(rdoc.doc, msg.body.id, 'hello\n');
    const detail = await waitFor(async () => {
      const r = await call('GET', `/api/tasks/${task.id}`);
      return r.body.runs?.length ? r.body : null;
    }, 'run in task detail');
    expect(detail.messages.map((m: { text: string }) => m.text)).toEqual(['echo hello']);
    expect(detail.runs[0]).toMatchObject({
      messageId: msg.body.id,
      state: 'completed',
      exitCode: 0,
      output: 'hello\n',
    });

    const second = await call('POST', `/api/tasks/${task.id}/messages`, { text: 'sleep 100' });
    const cancel = await call('POST', `/api/tasks/${task.id}/cancel`);
    expect(cancel.body.cancelled).toEqual([second.body.id]);
    await waitFor(() => tdoc.doc.getMap('cancels').has(second.body.id), 'cancel request in the Viber peer');

    expect(
      (await call('PUT', `/api/tasks/${task.id}`, { status: 'archived', title: 'Renamed' })).body,
    ).toMatchObject({ status: 'archived', title: 'Renamed' });
    expect(errorOf(await call('PUT', `/api/tasks/${task.id}`, { status: 'deleted' }))).toEqual([
      400,
      'validation_error',
      'status',
    ]);
    expect(errorOf(await call('GET', '/api/tasks/tsk_missing'))).toEqual([404, 'not_found', undefined]);
  });
});

describe('vibers', () => {
  it('onboarding tokens are single-use and unknown ones are refused', async () => {
    const v = await onboard(user.token, 'second');
    // No name asked for: the machine's host name, visible and editable in the command.
    expect(v.command).toBe(
      `npx --yes ${server.url}/viber.tgz onboard --server ${server.url} --token ${v.onboardingToken} --name "$(hostname)"`,
    );
    const named = await call('POST', '/api/vibers/onboarding-tokens', { name: 'my laptop' });
    expect(named.body.command).toMatch(/ --name 'my laptop'$/);
    expect((await call('POST', '/api/vibers/onboarding-tokens', { name: 'box-2.lan' })).body.command).toMatch(
      / --name box-2\.lan$/,
    );
    // A name that would need shell quoting beyond '…' (or break the command) is refused, naming the field.
    for (const name of ["it's", '$(rm -rf ~)', '`id`', '', 'x'.repeat(65)])
      expect(errorOf(await call('POST', '/api/vibers/onboarding-tokens', { name }))).toEqual([
        400,
        'validation_error',
        'name',
      ]);
    expect(errorOf(await call('POST', '/api/vibers/onboarding-tokens', { nmae: 'typo' }))).toEqual([
      400,
      'validation_error',
      'nmae',
    ]);
    const { publicKey } = await generateKeyPair();
    const reuse = await api(server.url, 'POST', '/api/vibers/onboard', {
      body: { token: v.onboardingToken, name: 'again', publicKey },
    });
    expect(errorOf(reuse)).toEqual([409, 'conflict', 'token']);
    const unknown = await api(server.url, 'POST', '/api/vibers/onboard', {
      body: { token: 'nope', name: 'x', publicKey },
    });
    expect(errorOf(unknown)).toEqual([401, 'unauthorized', 'token']);
    const badKey = await api(server.url, 'POST', '/api/vibers/onboard', {
      body: { token: 'nope', name: 'x', publicKey: 'abc' },
    });
    expect(errorOf(badKey)).toEqual([400, 'validation_error', 'publicKey']);
  });

  it(`[S20] a user has at most ${MAX_VIBERS_PER_USER} Vibers and ${MAX_ONBOARDING_TOKENS_PER_USER} onboarding tokens; removing a Viber makes room`, async () => {
    const owner = await signup(server.url);
    const as = (method: string, path: string, body?: unknown) =>
      api(server.url, method, path, { token: owner.token, body });
    // Tokens: the oldest goes past the count, so a stranger's loop of "add a Viber" stores 10 at most.
    const tokens: string[] = [];
    for (let i = 0; i < MAX_ONBOARDING_TOKENS_PER_USER + 5; i++)
      tokens.push((await as('POST', '/api/vibers/onboarding-tokens')).body.token);
    const { publicKey } = await generateKeyPair();
    const use = (token: string, name: string) =>
      api(server.url, 'POST', '/api/vibers/onboard', { body: { token, name, publicKey } });
    expect(errorOf(await use(tokens[0], 'dropped'))).toEqual([401, 'unauthorized', 'token']);
    expect((await use(tokens.at(-1)!, 'kept')).status).toBe(201);

    let ids = (await as('GET', '/api/vibers')).body.map((v: { id: string }) => v.id);
    let spare = '';
    while (ids.length < MAX_VIBERS_PER_USER) {
      // Given while there was still room for one more, used after the last one took it.
      if (ids.length === MAX_VIBERS_PER_USER - 1)
        spare = (await as('POST', '/api/vibers/onboarding-tokens')).body.token;
      const t = await as('POST', '/api/vibers/onboarding-tokens');
      expect((await use(t.body.token, `v${ids.length}`)).status).toBe(201);
      ids.push('x');
    }
    ids = (await as('GET', '/api/vibers')).body.map((v: { id: string }) => v.id);
    expect(ids).toHaveLength(MAX_VIBERS_PER_USER);
    // Full: no token is given, and one given earlier is refused at onboarding, naming the limit.
    const full = await as('POST', '/api/vibers/onboarding-tokens');
    expect(full.status).toBe(409);
    expect(full.body.error.message).toContain(`at most ${MAX_VIBERS_PER_USER} Vibers per user`);
    expect(errorOf(await use(spare, 'one-too-many'))[0]).toBe(409);
    expect((await as('GET', '/api/vibers')).body).toHaveLength(MAX_VIBERS_PER_USER);
    // Removing one (its row goes, its token no longer works) makes room.
    expect((await as('DELETE', `/api/vibers/${ids[0]}`)).status).toBeLessThan(300);
    const again = await as('POST', '/api/vibers/onboarding-tokens');
    expect((await use(again.body.token, 'replacement')).status).toBe(201);
  });

  it('lists Vibers with online presence and lastSeenAt; config is for the Viber itself or its owner', async () => {
    for (const p of peers.splice(0)) p.destroy(); // earlier tests left this Viber's document open
    const before = (await call('GET', '/api/vibers')).body.find(
      (v: { id: string }) => v.id === viber.viberId,
    );
    expect(before).toMatchObject({ name: 'alice-box', publicKey: viber.publicKey });
    const conn = connectPeer(server.wsUrl, viberDocName(user.userId, viber.viberId), viber.authToken);
    await conn.synced;
    await waitFor(
      async () =>
        (await call('GET', '/api/vibers')).body.find((v: { id: string }) => v.id === viber.viberId)?.online,
      'online',
    );
    conn.destroy();
    await waitFor(async () => {
      const v = (await call('GET', '/api/vibers')).body.find((x: { id: string }) => x.id === viber.viberId);
      return v && !v.online && v.lastSeenAt > 0;
    }, 'offline with lastSeenAt');
    expect((await call('GET', `/api/vibers/${viber.viberId}/config`)).status).toBe(200);
    const other = await onboard(user.token, 'third');
    expect(
      errorOf(await call('GET', `/api/vibers/${viber.viberId}/config`, undefined, other.authToken)),
    ).toEqual([403, 'forbidden', undefined]);
  });

  it(`[S7] a Viber reconnecting in a loop records lastSeenAt at most once per ${VIBER_SEEN_INTERVAL_MS / 1000} s`, async () => {
    const owner = await signup(server.url);
    const looping = await onboard(owner.token, 'looping');
    // The user's device sees every write of the registry as an update of its workspace.
    const device = connectPeer(server.wsUrl, workspaceDocName(owner.userId), owner.token);
    peers.push(device);
    await device.synced;
    let writes = 0;
    device.doc.on('update', () => writes++);
    for (let i = 0; i < 20; i++) {
      const conn = connectPeer(server.wsUrl, viberDocName(owner.userId, looping.viberId), looping.authToken);
      await conn.synced;
      conn.destroy();
    }
    await waitFor(async () => {
      const v = (await api(server.url, 'GET', '/api/vibers', { token: owner.token })).body[0];
      return v && !v.online && v.lastSeenAt > 0;
    }, 'offline with lastSeenAt');
    await new Promise((r) => setTimeout(r, 300)); // anything still on its way
    expect(writes).toBe(1);
  });

  it('removing a Viber revokes its token, closes its connections, and drops its bindings and ciphertexts', async () => {
    const doomed = await onboard(user.token, 'doomed');
    const box = await sealSecret('another-secret-value', doomed.publicKey);
    const { body: env } = await call('POST', '/api/environments', {
      name: 'doomed-env',
      type: 'manual',
      secrets: {
        K: {
          sealed: {
            [doomed.viberId]: box,
            [viber.viberId]: await sealSecret('another-secret-value', viber.publicKey),
          },
        },
      },
    });
    await call('POST', `/api/environments/${env.id}/bindings`, {
      viberId: doomed.viberId,
      strategy: 'clone',
    });
    const conn = peer(viberDocName(user.userId, doomed.viberId), doomed.authToken);
    await conn.synced;
    expect((await call('DELETE', `/api/vibers/${doomed.viberId}`)).status).toBe(200);
    expect(
      errorOf(await call('GET', `/api/vibers/${doomed.viberId}/config`, undefined, doomed.authToken)),
    ).toEqual([401, 'unauthorized', undefined]);
    expect((await call('GET', `/api/environments/${env.id}`)).body.secrets.K.sealedFor).toEqual([
      viber.viberId,
    ]);
    expect((await call('GET', `/api/environments/${env.id}/bindings`)).body).toEqual([]);
    await waitFor(
      () => conn.provider.isAuthenticated === false || conn.authFailure(),
      'revoked connection closed',
    );
    expect(errorOf(await call('DELETE', `/api/vibers/${doomed.viberId}`))).toEqual([
      404,
      'not_found',
      undefined,
    ]);
  });
});
