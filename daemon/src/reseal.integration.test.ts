import { describe, expect, it } from 'vitest';
import {
  addSealedCopy,
  getEnvironment,
  listRefusals,
  listReseals,
  readObservation,
  resealKey,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { openResealCopy, sealSecret } from '@openviber/shared/crypto';
import { scenario } from '../test/scenario.ts';
import { ok, signupUser } from '../test/server-api.ts';
import { signingDevice } from '../test/signing-device.ts';
import { useServer } from '../test/test-server.ts';
import { userPeer } from '../test/user-peer.ts';
import { onboardViber } from '../test/viber-process.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'reseal-me-0123456789';

describe('secret re-seal [X5]', async () => {
  const server = await useServer();
  const s = await scenario(server);

  it('[X5] a Viber holding a secret re-seals it to a newly bound Viber, which can then prepare with it', async () => {
    const { envId } = await s.environment(
      { type: 'manual', setupScript: 'test "$API_TOKEN" = "$EXPECTED"', vars: { EXPECTED: SECRET } },
      { API_TOKEN: { value: SECRET } },
    );
    const newcomer = await onboardViber(server.url, s.user.token, 'newcomer');
    newcomer.start();
    const binding = await s.api('POST', `/api/environments/${envId}/bindings`, {
      viberId: newcomer.config.viberId,
      strategy: 'clone',
    });

    // Without the secret the newcomer cannot prepare, and says why.
    const newcomerDoc = await s.peer.doc(viberDocName(s.user.userId, newcomer.config.viberId));
    const holderDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    const key = resealKey(envId, 'API_TOKEN', newcomer.config.viberId);
    const reseal = await waitFor(
      () =>
        listReseals(holderDoc).find((r) => `${r.environmentId}/${r.secretKey}/${r.targetViberId}` === key),
      { what: 'a re-seal' },
    );
    const refused = await waitFor(
      () => {
        const o = readObservation(newcomerDoc, binding.id);
        return o?.state === 'error' ? o.lastError : null;
      },
      { what: 'the newcomer to report the missing secret' },
    );
    expect(refused).toContain('API_TOKEN is not sealed for this Viber');
    const ws = await s.peer.doc(workspaceDocName(s.user.userId));
    // Authenticated by the holder's key, for this secret's current value ([X5]).
    const opened = await openResealCopy(reseal.sealed, newcomer.config, {
      environmentId: envId,
      key: 'API_TOKEN',
      viberId: newcomer.config.viberId,
      updatedAt: getEnvironment(ws, envId)!.secrets.API_TOKEN!.updatedAt,
    });
    expect(opened).toEqual({ ok: true, value: SECRET });

    // The user's device copies it into the workspace (it cannot read it); the newcomer then prepares.
    expect(addSealedCopy(ws, envId, 'API_TOKEN', newcomer.config.viberId, reseal.sealed)).toBe(true);
    expect(Object.keys(getEnvironment(ws, envId)!.secrets.API_TOKEN.sealed)).toContain(
      newcomer.config.viberId,
    );
    await waitFor(() => readObservation(newcomerDoc, binding.id)?.state === 'ready', {
      what: 'the newcomer ready',
      timeoutMs: 30_000,
    });
    // Once copied, the holder withdraws its re-seal.
    await waitFor(() => !listReseals(holderDoc).some((r) => r.targetViberId === newcomer.config.viberId), {
      what: 're-seal withdrawn',
    });
    await newcomer.stop();
  });
});

describe('secret re-seal between pinned Vibers [X5] [T6]', async () => {
  const server = await useServer();
  const user = await signupUser(server.url);
  const peer = userPeer(server.wsUrl, user.token);
  const device = await signingDevice(server.url, user, peer);
  const api = <T = any>(method: string, path: string, body?: unknown) =>
    ok<T>(server.url, method, path, user.token, body);
  const pinned = (name: string) =>
    onboardViber(server.url, user.token, name, ['--trust', device.fingerprint]);

  it('[X5] [T6] a holder re-seals to a newly mapped Viber; the copy, which no device signs, is usable there', async () => {
    const holder = await pinned('holder');
    holder.start();
    const env = await api('POST', '/api/environments', {
      name: 'pinned re-seal',
      type: 'manual',
      setupMode: 'manual',
      setupScript: 'test "$API_TOKEN" = "$EXPECTED"',
      vars: { EXPECTED: SECRET },
      secrets: {
        API_TOKEN: { sealed: { [holder.config.viberId]: await sealSecret(SECRET, holder.config.publicKey) } },
      },
    });
    const held = await api('POST', `/api/environments/${env.id}/bindings`, {
      viberId: holder.config.viberId,
      strategy: 'clone',
    });
    // The user saved the value for the holder: the app signs the spec, the binding and that ciphertext.
    await device.signEnvironment(env.id);
    await device.signBinding(held.id);
    const holderDoc = await peer.doc(viberDocName(user.userId, holder.config.viberId));
    await waitFor(() => readObservation(holderDoc, held.id)?.state === 'ready', {
      what: 'the holder ready',
      timeoutMs: 30_000,
    });

    const newcomer = await pinned('newcomer');
    newcomer.start();
    const mapped = await api('POST', `/api/environments/${env.id}/bindings`, {
      viberId: newcomer.config.viberId,
      strategy: 'clone',
    });
    await device.signBinding(mapped.id);
    const reseal = await waitFor(
      () => listReseals(holderDoc).find((r) => r.targetViberId === newcomer.config.viberId),
      { what: 'the holder’s re-seal' },
    );
    // As the app does: copied into the workspace, never signed.
    const ws = await peer.doc(workspaceDocName(user.userId));
    expect(addSealedCopy(ws, env.id, 'API_TOKEN', newcomer.config.viberId, reseal.sealed)).toBe(true);
    expect(getEnvironment(ws, env.id)!.secrets.API_TOKEN!.signatures).not.toHaveProperty(
      newcomer.config.viberId,
    );

    const newcomerDoc = await peer.doc(viberDocName(user.userId, newcomer.config.viberId));
    // A pinned Viber that refused the copy would wait with a refusal instead (it did before: unsigned).
    await waitFor(() => readObservation(newcomerDoc, mapped.id)?.state === 'ready', {
      what: 'the newcomer prepared with the re-sealed secret',
      timeoutMs: 30_000,
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}; refusals: ${JSON.stringify(listRefusals(newcomerDoc))}`);
    });
    expect(listRefusals(newcomerDoc)).toEqual([]);
    await newcomer.stop();
    await holder.stop();
  });
});
