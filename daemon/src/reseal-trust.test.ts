// [T5] [X5] re-seal on a pinned Viber: only a signed copy of ours, only to the key a signed binding names.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  bindingIntent,
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  getBinding,
  getEnvironment,
  listReseals,
  sealedCopyIntent,
  signBinding,
  signSealedCopy,
  upsertViber,
  type ViberId,
} from '@openviber/shared';
import {
  generateKeyPair,
  generateSigningKeyPair,
  openSealed,
  sealSecret,
  signIntent,
} from '@openviber/shared/crypto';
import { IntentGuard } from './intent-guard.ts';
import { publishReseals } from './reseal.ts';
import { tempDir } from '../test/temp-dir.ts';

const SECRET = 'the-users-own-value-123';
const HOLDER = 'vbr_holder' as ViberId;
const TARGET = 'vbr_target' as ViberId;

async function setup() {
  const user = await generateSigningKeyPair();
  const holder = await generateKeyPair();
  const target = await generateKeyPair();
  const workspace = new Y.Doc();
  const viberDoc = new Y.Doc();
  upsertViber(workspace, {
    id: HOLDER,
    name: 'h',
    publicKey: holder.publicKey,
    createdAt: 1,
    lastSeenAt: 0,
  });
  upsertViber(workspace, {
    id: TARGET,
    name: 't',
    publicKey: target.publicKey,
    createdAt: 1,
    lastSeenAt: 0,
  });
  const envId = createEnvironment(
    workspace,
    environmentCreateSchema.parse({
      name: 'e',
      type: 'manual',
      secrets: { TOKEN: { sealed: { vbr_holder: await sealSecret(SECRET, holder.publicKey) } } },
    }),
  );
  createBinding(workspace, envId, { viberId: 'vbr_holder', strategy: 'clone' });
  const targetBinding = createBinding(workspace, envId, { viberId: 'vbr_target', strategy: 'clone' });
  const guard = await IntentGuard.create(user.publicKey, {
    viberId: 'vbr_holder',
    viberPublicKey: holder.publicKey,
    viberDoc,
    stateDir: tempDir(),
  });
  const signCopy = async () =>
    signSealedCopy(
      workspace,
      envId,
      'TOKEN',
      'vbr_holder',
      await signIntent(
        sealedCopyIntent(getEnvironment(workspace, envId)!, 'TOKEN', 'vbr_holder')!,
        user.privateKey,
      ),
    );
  const signTargetBinding = async (publicKey: string) => {
    const b = getBinding(workspace, targetBinding)!;
    signBinding(
      workspace,
      b.id,
      b.generation,
      await signIntent(bindingIntent(b, publicKey), user.privateKey),
    );
  };
  const reseal = () => publishReseals(workspace, viberDoc, 'vbr_holder', holder, new Map(), guard);
  return { workspace, viberDoc, target, signCopy, signTargetBinding, reseal };
}

describe('[T5] [X5] re-seal on a pinned Viber', () => {
  it('re-seals a signed copy to the key the signed binding names', async () => {
    const t = await setup();
    await t.signCopy();
    await t.signTargetBinding(t.target.publicKey);
    expect(await t.reseal()).toBe(1);
    const [published] = listReseals(t.viberDoc);
    expect(await openSealed(published!.sealed, t.target)).toEqual({ ok: true, value: SECRET });
  });

  it('passes nothing on from an unsigned (possibly planted) copy of its own', async () => {
    const t = await setup();
    await t.signTargetBinding(t.target.publicKey);
    expect(await t.reseal()).toBe(0);
    expect(listReseals(t.viberDoc)).toEqual([]);
  });

  it('re-seals nothing to a registry key the server substituted, nor to a Viber whose binding is unsigned', async () => {
    const t = await setup();
    await t.signCopy();
    expect(await t.reseal()).toBe(0); // target binding unsigned
    await t.signTargetBinding(t.target.publicKey);
    const attacker = await generateKeyPair();
    upsertViber(t.workspace, {
      id: TARGET,
      name: 't',
      publicKey: attacker.publicKey,
      createdAt: 1,
      lastSeenAt: 0,
    });
    expect(await t.reseal()).toBe(0);
    expect(listReseals(t.viberDoc)).toEqual([]);
  });
});
