// Signed intent end to end ([T3], [T5], [T6]): a real server, real `viber` processes, real SQLite,
// and a test "device" holding the user's signing key. A pinned Viber runs only what the key signed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  addSealedCopy,
  environmentsMap,
  bindingsMap,
  getRun,
  listRefusals,
  listReseals,
  messagesArray,
  keyRotationIntent,
  messageIntent,
  newId,
  pushIntent,
  readHealth,
  readObservation,
  resealKey,
  resealsMap,
  runOutputDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
  type Refusal,
} from '@openviber/shared';
import { generateSigningKeyPair, sealSecret, signIntent } from '@openviber/shared/crypto';
import { makeRepo } from '../test/git-repo.ts';
import { call, ok, signupUser } from '../test/server-api.ts';
import { signingDevice } from '../test/signing-device.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { userPeer } from '../test/user-peer.ts';
import { onboardViber, runCli } from '../test/viber-process.ts';
import { waitFor } from '../test/wait-for.ts';

describe('signed intent: a pinned Viber runs only what its user signed', async () => {
  const server = await useServer();
  const user = await signupUser(server.url);
  const peer = userPeer(server.wsUrl, user.token);
  const device = await signingDevice(server.url, user, peer);
  const api = <T = any>(method: string, path: string, body?: unknown) =>
    ok<T>(server.url, method, path, user.token, body);

  it('[T3] [T9] --trust with another fingerprint refuses to onboard: nothing written, the registration withdrawn', async () => {
    const home = tempDir('viber-home-');
    const { token } = await api('POST', '/api/vibers/onboarding-tokens');
    const wrong = '0000:1111:2222:3333:4444:5555:6666:7777';
    const result = await runCli(home, [
      'onboard',
      '--server',
      server.url,
      '--token',
      token,
      '--trust',
      wrong,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`has fingerprint ${device.fingerprint}, not ${wrong}`);
    expect(existsSync(join(home, 'config.json'))).toBe(false);
    expect((await api<{ name: string }[]>('GET', '/api/vibers')).filter((v) => v.name !== 'pinned')).toEqual(
      [],
    );
    const bad = await runCli(home, ['onboard', '--server', server.url, '--token', token, '--trust', 'abc']);
    expect(bad.stderr).toMatch(/--trust must be the signing key fingerprint/);
  });

  const viber = await onboardViber(server.url, user.token, 'pinned', ['--trust', device.fingerprint]);
  viber.start();
  const viberId = viber.config.viberId;
  const viberDoc = await peer.doc(viberDocName(user.userId, viberId));
  const refusal = (kind: string, id: string) =>
    waitFor(() => listRefusals(viberDoc).find((r) => r.kind === kind && r.id === id), {
      what: `a refusal of ${kind} ${id}`,
    });
  const noRefusal = (kind: string, id: string) =>
    waitFor(() => !listRefusals(viberDoc).some((r) => r.kind === kind && r.id === id), {
      what: `no refusal of ${kind} ${id}`,
    });
  const prepared = (bindingId: string, generation = 1) =>
    waitFor(
      () => {
        const o = readObservation(viberDoc, bindingId);
        return o && o.observedGeneration >= generation && o.state !== 'preparing' ? o : null;
      },
      { what: `binding ${bindingId} prepared at ${generation}`, timeoutMs: 30_000 },
    );
  const runOf = async (taskId: string, messageId: string) =>
    getRun(await peer.doc(runOutputDocName(user.userId, viberId, taskId)), messageId);
  const marker = () => join(tempDir('viber-marker-'), 'ran');

  async function environment(setupScript: string) {
    const env = await api('POST', '/api/environments', {
      name: 'pinned env',
      type: 'manual',
      setupMode: 'manual',
      setupScript,
    });
    const binding = await api('POST', `/api/environments/${env.id}/bindings`, { viberId, strategy: 'clone' });
    return { envId: env.id as string, bindingId: binding.id as string };
  }

  it('[T3] [T5] the pinned key is in the config and the health says pinned', async () => {
    expect(viber.config.trustedSigningKey).toBe(device.keys.publicKey);
    const health = await waitFor(() => readHealth(viberDoc));
    expect(health).toMatchObject({ trust: 'pinned', trustedKeyFingerprint: device.fingerprint });
    const status = await runCli(viber.home, ['status']);
    expect(status.stdout).toMatch(new RegExp(`Trust:\\s+pinned signing key ${device.fingerprint}`));
  });

  let signed: { envId: string; bindingId: string; taskId: string };

  it('[T5] an environment and a message from the API wait as unsigned, and run once a device signs them', async () => {
    const setupMarker = marker();
    const { envId, bindingId } = await environment(`touch ${setupMarker}`);
    expect(await refusal('binding', bindingId)).toMatchObject({ reason: 'unsigned' });
    expect(await refusal('environment', envId)).toMatchObject({ reason: 'unsigned' });
    expect(readObservation(viberDoc, bindingId)).toBeUndefined();
    expect(existsSync(setupMarker)).toBe(false);

    await device.signEnvironment(envId);
    await device.signBinding(bindingId);
    expect(await prepared(bindingId)).toMatchObject({ state: 'ready' });
    expect(existsSync(setupMarker)).toBe(true);
    await noRefusal('environment', envId);
    await noRefusal('binding', bindingId);

    const task = await api('POST', '/api/tasks', { environmentId: envId, title: 't', viberId });
    const runMarker = marker();
    const { id: messageId } = await api('POST', `/api/tasks/${task.id}/messages`, {
      text: `touch ${runMarker}`,
    });
    expect(await refusal('message', `${task.id}/${messageId}`)).toMatchObject({ reason: 'unsigned' });
    expect(await runOf(task.id, messageId)).toBeNull();
    expect(existsSync(runMarker)).toBe(false);

    await device.signMessage(task.id, messageId);
    await waitFor(async () => (await runOf(task.id, messageId))?.state === 'completed', {
      what: 'the signed run',
    });
    expect(existsSync(runMarker)).toBe(true);
    await noRefusal('message', `${task.id}/${messageId}`);
    signed = { envId, bindingId, taskId: task.id };
  });

  it('[T4] a script holding the exported key signs its own API message: it runs with no device involved', async () => {
    const { taskId, envId } = signed;
    const runMarker = marker();
    const messageId = newId('msg');
    const text = `touch ${runMarker}`;
    const intent = messageIntent({ taskId, environmentId: envId, viberId, messageId, text });
    const signature = await signIntent(intent, device.keys.privateKey);
    const sent = await api('POST', `/api/tasks/${taskId}/messages`, { text, messageId, signature });
    expect(sent).toMatchObject({ id: messageId, signature });
    await waitFor(async () => (await runOf(taskId, messageId))?.state === 'completed', {
      what: 'the script run',
    });
    expect(existsSync(runMarker)).toBe(true);
    const again = await call(server.url, 'POST', `/api/tasks/${taskId}/messages`, user.token, {
      text,
      messageId,
      signature,
    });
    expect([again.status, again.body.error.field]).toEqual([409, 'messageId']);
    const noId = await call(server.url, 'POST', `/api/tasks/${taskId}/messages`, user.token, {
      text,
      signature,
    });
    expect([noId.status, noId.body.error.field]).toEqual([400, 'messageId']);
  });

  it('[A3] [T4] [T5] a push through the API: unsigned it waits (shown), signed by a script it lands in the repository, changed after signing it is refused', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const remote = (ref: string) =>
      execFileSync('git', ['--git-dir', repo.bare, 'for-each-ref', '--format=%(objectname)', ref], {
        encoding: 'utf8',
      }).trim();
    const main = remote('refs/heads/main');
    const env = await api('POST', '/api/environments', {
      name: 'pushes',
      type: 'github',
      setupMode: 'manual',
      repoUrl: repo.url,
      persistVolume: false,
    });
    const binding = await api('POST', `/api/environments/${env.id}/bindings`, { viberId, strategy: 'clone' });
    await device.signEnvironment(env.id);
    await device.signBinding(binding.id);
    expect(await prepared(binding.id)).toMatchObject({ state: 'ready' });
    const { id: taskId } = await api('POST', '/api/tasks', { environmentId: env.id, title: 'p', viberId });
    const { id: messageId } = await api('POST', `/api/tasks/${taskId}/messages`, { text: 'echo b > b.txt' });
    await device.signMessage(taskId, messageId);
    await waitFor(async () => (await runOf(taskId, messageId))?.state === 'completed', { what: 'the run' });
    const pushOf = async () => (await api('GET', `/api/tasks/${taskId}`)).push;

    // Unsigned (as before this change: every push on a pinned Viber failed): it waits for approval.
    const unsigned = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, user.token, {
      branch: 'ov/unsigned',
    });
    expect(unsigned.status).toBe(202);
    const unsignedId = unsigned.body.request.id as string;
    expect(await refusal('push', `${taskId}/${unsignedId}`)).toMatchObject({ reason: 'unsigned' });
    expect(await pushOf()).toMatchObject({ requestId: unsignedId, state: 'pushing' });
    expect(remote('refs/heads/ov/unsigned')).toBe('');

    // Signed by a script holding the key: the id it signed, and the signature, go with the request.
    const sign = (requestId: string, branch: string, commitMessage = '') =>
      signIntent(
        pushIntent({ taskId, environmentId: env.id, viberId, requestId, branch, commitMessage }),
        device.keys.privateKey,
      );
    const noId = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, user.token, {
      branch: 'ov/signed',
      signature: await sign('push_x', 'ov/signed'),
    });
    expect([noId.status, noId.body.error.field]).toEqual([400, 'requestId']);
    const requestId = newId('push');
    const body = {
      branch: 'ov/signed',
      commitMessage: 'From a script',
      requestId,
      signature: await sign(requestId, 'ov/signed', 'From a script'),
    };
    expect((await call(server.url, 'POST', `/api/tasks/${taskId}/push`, user.token, body)).status).toBe(202);
    const pushed = await waitFor(
      async () => {
        const push = await pushOf();
        return push?.requestId === requestId && push.state !== 'pushing' ? push : null;
      },
      { what: 'the signed push', timeoutMs: 30_000 },
    );
    expect(pushed).toMatchObject({ state: 'pushed', branch: 'ov/signed', error: '' });
    expect(remote('refs/heads/ov/signed')).toBe(pushed.commit);
    const again = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, user.token, body);
    expect([again.status, again.body.error.field]).toEqual([409, 'requestId']);

    // Signed for one branch, sent for another: refused, and main is untouched.
    const tamperedId = newId('push');
    await call(server.url, 'POST', `/api/tasks/${taskId}/push`, user.token, {
      branch: 'main',
      requestId: tamperedId,
      signature: await sign(tamperedId, 'ov/reviewed'),
    });
    expect(await refusal('push', `${taskId}/${tamperedId}`)).toMatchObject({ reason: 'bad signature' });
    expect(await pushOf()).toMatchObject({ requestId: tamperedId, state: 'pushing' });
    expect(remote('refs/heads/main')).toBe(main);
  });

  it('[T5] an unsigned cancel is not honoured (and shown); a signed one stops the run', async () => {
    const { taskId } = signed;
    const { id: messageId } = await api('POST', `/api/tasks/${taskId}/messages`, { text: 'sleep 30' });
    await device.signMessage(taskId, messageId);
    await waitFor(
      async () =>
        (await runOf(taskId, messageId))?.state === 'progress' ||
        (await runOf(taskId, messageId))?.state === 'started',
      { what: 'running' },
    );
    await api('POST', `/api/tasks/${taskId}/cancel`);
    expect(await refusal('cancel', `${taskId}/${messageId}`)).toMatchObject({ reason: 'unsigned' });
    expect((await runOf(taskId, messageId))?.state).not.toBe('cancelled');
    await device.cancel(taskId, messageId);
    await waitFor(async () => (await runOf(taskId, messageId))?.state === 'cancelled', { what: 'cancelled' });
  });

  it('[T5] [T6] what is written straight into the stored SQLite documents is not executed, and is shown refused', async () => {
    // Setup: environment B signed at version 1, then re-signed at version 2 (accepted by the Viber).
    const b = await environment('true');
    const v1 = await device.signEnvironment(b.envId);
    const workspace = await peer.doc(workspaceDocName(user.userId));
    const v1Fields = environmentsMap(workspace).get(b.envId) as Y.Map<unknown>;
    const v1Signature = v1Fields.get('specSignature') as string;
    await device.signBinding(b.bindingId);
    await prepared(b.bindingId);
    await device.editEnvironment(b.envId, { agentCommand: 'bash -c' });
    await device.prepare(b.bindingId);
    await prepared(b.bindingId, 2);
    const taskB = await api('POST', '/api/tasks', { environmentId: b.envId, title: 'b', viberId });
    // Environment C's secret is sealed (and signed) for another Viber, the holder, only: mapped too,
    // this Viber lacks it and waits for a re-seal.
    const holder = await onboardViber(server.url, user.token, 'holder', ['--trust', device.fingerprint]);
    const used = join(tempDir('viber-marker-'), 'token');
    const c = await api('POST', '/api/environments', {
      name: 'c',
      type: 'manual',
      setupMode: 'manual',
      setupScript: `printf %s "$TOKEN" > ${used}`,
      secrets: {
        TOKEN: {
          sealed: {
            [holder.config.viberId]: await sealSecret('the-users-own-value-1', holder.config.publicKey),
          },
        },
      },
    });
    const cBinding = await api('POST', `/api/environments/${c.id}/bindings`, { viberId, strategy: 'clone' });
    await device.signEnvironment(c.id);
    await device.signBinding(cBinding.id);
    expect((await prepared(cBinding.id)).lastError).toContain('TOKEN is not sealed for this Viber');

    // The server's operator edits the stored documents with the server stopped.
    const plantedBox = await sealSecret('the-operators-value-1', viber.config.publicKey);
    const planted = marker();
    const setupPlanted = marker();
    await server.stop();
    const db = new DatabaseSync(join(server.dataDir, 'openviber.sqlite'));
    const edit = (name: string, change: (doc: Y.Doc) => void) => {
      const row = db.prepare('SELECT state FROM documents WHERE name = ?').get(name) as
        { state: Uint8Array } | undefined;
      const doc = new Y.Doc();
      if (row) Y.applyUpdate(doc, row.state);
      change(doc);
      db.prepare('INSERT OR REPLACE INTO documents (name, state, updated_at) VALUES (?, ?, ?)').run(
        name,
        Y.encodeStateAsUpdate(doc),
        Date.now(),
      );
    };
    const plantedId = 'msg_planted000000000000';
    edit(taskDocName(user.userId, signed.taskId), (doc) => {
      const m = new Y.Map<unknown>();
      messagesArray(doc).push([m]);
      m.set('id', plantedId);
      m.set('text', `touch ${planted}`);
      m.set('author', 'nobody');
      m.set('createdAt', Date.now());
    });
    edit(workspaceDocName(user.userId), (doc) => {
      // A changed setup script (and a generation bump so it would prepare), signatures left as they were.
      const envA = environmentsMap(doc).get(signed.envId) as Y.Map<unknown>;
      envA.set('setupScript', `touch ${setupPlanted}`);
      (bindingsMap(doc).get(signed.bindingId) as Y.Map<unknown>).set('generation', 9);
      // Environment B rolled back to version 1 with its genuine version-1 signature.
      const envB = environmentsMap(doc).get(b.envId) as Y.Map<unknown>;
      envB.set('agentCommand', '');
      envB.set('specVersion', v1);
      envB.set('specSignature', v1Signature);
    });
    // A re-seal of a value of the operator's choosing, in the holder's document (it never connected).
    edit(viberDocName(user.userId, holder.config.viberId), (doc) => {
      resealsMap(doc).set(resealKey(c.id, 'TOKEN', viberId), plantedBox);
    });
    db.close();
    await server.restart();

    expect(await refusal('message', `${signed.taskId}/${plantedId}`)).toMatchObject({ reason: 'unsigned' });
    const envRefusal: Refusal = await refusal('environment', signed.envId);
    expect(envRefusal.reason).toBe('bad signature');
    expect(await refusal('binding', signed.bindingId)).toMatchObject({ reason: 'bad signature' });
    // A signed message on the rolled-back environment B waits: B's spec is older than one accepted.
    const { id: onB } = await api('POST', `/api/tasks/${taskB.id}/messages`, { text: 'echo hi' });
    await device.signMessage(taskB.id, onB);
    // It names the version it accepted, so a device's Approve re-signs above it.
    expect(await refusal('environment', b.envId)).toMatchObject({
      reason: 'rolled back',
      acceptedVersion: v1 + 1,
    });
    expect(await runOf(taskB.id, onB)).toBeNull();
    expect(await runOf(signed.taskId, plantedId)).toBeNull();
    expect(existsSync(planted)).toBe(false);
    expect(existsSync(setupPlanted)).toBe(false);
    expect(readObservation(viberDoc, signed.bindingId)?.observedGeneration).toBe(1);

    // The app copies a re-seal it finds in any Viber's document into the workspace, and never signs it
    // (it cannot read it): the planted value is refused, and never reaches the setup script.
    const holderDoc = await peer.doc(viberDocName(user.userId, holder.config.viberId));
    const [reseal] = listReseals(holderDoc);
    expect(reseal).toMatchObject({ environmentId: c.id, secretKey: 'TOKEN', targetViberId: viberId });
    addSealedCopy(workspace, c.id, 'TOKEN', viberId, reseal!.sealed);
    expect(await refusal('environment', c.id)).toMatchObject({
      reason: 'unsigned',
      detail: expect.stringContaining('secret TOKEN'),
    });
    await device.prepare(cBinding.id);
    expect(await refusal('environment', c.id)).toMatchObject({ reason: 'unsigned' });
    expect(readObservation(viberDoc, cBinding.id)?.observedGeneration).toBe(1);
    expect(existsSync(used)).toBe(false);
  });

  it('[T5] a Viber without --trust behaves as before: it runs unsigned API content, and says it trusts the server', async () => {
    const open = await onboardViber(server.url, user.token, 'open');
    open.start();
    const doc = await peer.doc(viberDocName(user.userId, open.config.viberId));
    expect(await waitFor(() => readHealth(doc))).toMatchObject({ trust: 'server' });
    const env = await api('POST', '/api/environments', { name: 'o', type: 'manual', setupMode: 'manual' });
    const binding = await api('POST', `/api/environments/${env.id}/bindings`, {
      viberId: open.config.viberId,
      strategy: 'clone',
    });
    await waitFor(() => readObservation(doc, binding.id)?.state === 'ready', { what: 'ready' });
    expect(listRefusals(doc)).toEqual([]);
    await open.stop();
  });

  it('[T3] the fingerprint check is against the key the server serves now', async () => {
    expect((await call(server.url, 'GET', '/api/account/signing-key', viber.config.authToken)).body).toEqual({
      publicKey: device.keys.publicKey,
      fingerprint: device.fingerprint,
    });
  });

  it('[T8] a key rotated on the server does not carry over to a pinned Viber: content signed by the new key waits', async () => {
    const next = await generateSigningKeyPair();
    const rotation = await signIntent(
      keyRotationIntent(device.keys.publicKey, next.publicKey),
      device.keys.privateKey,
    );
    await api('PUT', '/api/account/signing-key', {
      publicKey: next.publicKey,
      rotation: { signature: rotation },
    });
    // A fresh environment the old (pinned) key signed; the earlier ones hold refused content.
    const { envId, bindingId } = await environment('true');
    await device.signEnvironment(envId);
    await device.signBinding(bindingId);
    await prepared(bindingId);
    const { id: taskId } = await api('POST', '/api/tasks', { environmentId: envId, title: 'r', viberId });
    const messageId = newId('msg');
    const text = 'echo rotated';
    const intent = messageIntent({ taskId, environmentId: envId, viberId, messageId, text });
    await api('POST', `/api/tasks/${taskId}/messages`, {
      text,
      messageId,
      signature: await signIntent(intent, next.privateKey),
    });
    expect(await refusal('message', `${taskId}/${messageId}`)).toMatchObject({ reason: 'bad signature' });
    expect(await runOf(taskId, messageId)).toBeNull();
  });
});
