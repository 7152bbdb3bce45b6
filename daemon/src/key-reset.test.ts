// [T12] after a signing-key reset (every device and the recovery code lost), a Viber pinned to the
// old key keeps refusing what the new key signs: it pinned a key, not the server's word. It is
// onboarded again with --trust; nothing the server says un-pins it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  bindingIntent,
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  environmentSpecIntent,
  getBinding,
  getEnvironment,
  signBinding,
  signEnvironmentSpec,
} from '@openviber/shared';
import { generateKeyPair, generateSigningKeyPair, signIntent } from '@openviber/shared/crypto';
import { IntentGuard } from './intent-guard.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('[T12] a Viber pinned to the old key after a reset', () => {
  it('refuses an environment and a binding signed by the new key, and accepts them re-signed by the pinned one', async () => {
    const viber = await generateKeyPair();
    const old = await generateSigningKeyPair();
    const reset = await generateSigningKeyPair();
    const ws = new Y.Doc();
    const envId = createEnvironment(ws, environmentCreateSchema.parse({ name: 'e', type: 'manual' }));
    const bindingId = createBinding(ws, envId, { viberId: 'vbr_t', strategy: 'clone' });
    const signAll = async (privateKey: string, version: number) => {
      signEnvironmentSpec(
        ws,
        envId,
        version,
        await signIntent(environmentSpecIntent(getEnvironment(ws, envId)!, version), privateKey),
      );
      const binding = getBinding(ws, bindingId)!;
      signBinding(
        ws,
        bindingId,
        binding.generation,
        await signIntent(bindingIntent(binding, viber.publicKey), privateKey),
      );
    };
    const guard = await IntentGuard.create(old.publicKey, {
      viberId: 'vbr_t',
      viberPublicKey: viber.publicKey,
      viberPrivateKey: viber.privateKey,
      workspace: ws,
      viberDoc: new Y.Doc(),
      stateDir: join(tempDir('viber-state-'), 'state'),
    });

    await signAll(reset.privateKey, 1); // the new key, which the server now lists
    expect(guard.mayPrepare(getBinding(ws, bindingId)!, getEnvironment(ws, envId)!)).toBe(false);

    await signAll(old.privateKey, 2); // the key it pinned (only to show the refusal is the key's)
    expect(guard.mayPrepare(getBinding(ws, bindingId)!, getEnvironment(ws, envId)!)).toBe(true);
  });
});
