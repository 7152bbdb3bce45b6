import { describe, expect, it } from 'vitest';
import {
  addSealedCopy,
  getEnvironment,
  listReseals,
  readObservation,
  resealKey,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { openSealed } from '@openviber/shared/crypto';
import { scenario } from '../test/scenario.ts';
import { useServer } from '../test/test-server.ts';
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
    const opened = await openSealed(reseal.sealed, {
      publicKey: newcomer.config.publicKey,
      privateKey: newcomer.config.privateKey,
    });
    expect(opened).toEqual({ ok: true, value: SECRET });

    // The user's device copies it into the workspace (it cannot read it); the newcomer then prepares.
    const ws = await s.peer.doc(workspaceDocName(s.user.userId));
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
