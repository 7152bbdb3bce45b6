// [T5] [T6] [X5] re-seal on pinned Vibers: the holder passes on only a copy it may use, only to the key a
// signed binding names; the receiver uses the copy, which no device signed, only when a binding the user
// signed names its sender's key and that key authenticates it.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addSealedCopy,
  bindingIntent,
  bindingsMap,
  deletionsMap,
  patchEnvironment,
  removeViberCascade,
  createBinding,
  createEnvironment,
  deleteBinding,
  environmentCreateSchema,
  getBinding,
  getEnvironment,
  listRefusals,
  listReseals,
  sealedCopyIntent,
  signBinding,
  signEnvironmentSpec,
  environmentSpecIntent,
  signSealedCopy,
  upsertViber,
  type ViberId,
} from '@openviber/shared';
import {
  generateKeyPair,
  generateSigningKeyPair,
  sealResealCopy,
  sealSecret,
  signIntent,
} from '@openviber/shared/crypto';
import { openEnvironmentSecrets } from './env-secrets.ts';
import { IntentGuard } from './intent-guard.ts';
import { publishReseals } from './reseal.ts';
import { RemovedVibers } from './removed-vibers.ts';
import { tempDir } from '../test/temp-dir.ts';

const SECRET = 'the-users-own-value-123';
const HOLDER = 'vbr_holder' as ViberId;
const TARGET = 'vbr_target' as ViberId;

async function setup() {
  const user = await generateSigningKeyPair();
  const holder = await generateKeyPair();
  const target = await generateKeyPair();
  const workspace = new Y.Doc();
  const holderDoc = new Y.Doc();
  const targetDoc = new Y.Doc();
  for (const [id, keys] of [
    [HOLDER, holder],
    [TARGET, target],
  ] as const)
    upsertViber(workspace, { id, name: id, publicKey: keys.publicKey, createdAt: 1, lastSeenAt: 0 });
  const envId = createEnvironment(
    workspace,
    environmentCreateSchema.parse({
      name: 'e',
      type: 'manual',
      secrets: { TOKEN: { sealed: { vbr_holder: await sealSecret(SECRET, holder.publicKey) } } },
    }),
  );
  const holderBinding = createBinding(workspace, envId, { viberId: 'vbr_holder', strategy: 'clone' });
  const targetBinding = createBinding(workspace, envId, { viberId: 'vbr_target', strategy: 'clone' });
  const guard = (viberId: ViberId, keys: typeof holder, viberDoc: Y.Doc, stateDir = tempDir()) =>
    IntentGuard.create(user.publicKey, {
      viberId,
      viberPublicKey: keys.publicKey,
      viberPrivateKey: keys.privateKey,
      workspace,
      viberDoc,
      stateDir,
    });
  const holderGuard = await guard(HOLDER, holder, holderDoc);
  const targetState = tempDir();
  let targetGuard = await guard(TARGET, target, targetDoc, targetState);
  /** The target Viber restarted: a new guard over the same state directory. */
  const restartTarget = async () => {
    targetGuard = await guard(TARGET, target, targetDoc, targetState);
  };
  const env = () => getEnvironment(workspace, envId)!;
  const sign = (intent: Parameters<typeof signIntent>[0]) => signIntent(intent, user.privateKey);
  const signCopy = async () =>
    signSealedCopy(
      workspace,
      envId,
      'TOKEN',
      'vbr_holder',
      await sign(sealedCopyIntent(env(), 'TOKEN', HOLDER)!),
    );
  const signSpec = async () =>
    signEnvironmentSpec(workspace, envId, 1, await sign(environmentSpecIntent(env(), 1)));
  const signBindingOf = async (bindingId: string, publicKey: string) => {
    const b = getBinding(workspace, bindingId)!;
    const signedAt = Date.now();
    signBinding(
      workspace,
      b.id,
      b.generation,
      await sign(bindingIntent({ ...b, signedAt }, publicKey)),
      signedAt,
    );
  };
  const holderState = tempDir();
  /** The holder's re-seal pass; `restarted`: a new daemon over the same state directory. */
  const reseal = () =>
    publishReseals(
      workspace,
      holderDoc,
      HOLDER,
      holder,
      new Map(),
      holderGuard,
      new RemovedVibers(holderState),
    );
  /** What the app does with a re-seal it finds in a Viber's document: copy it, unsigned. */
  const copyAsTheApp = () => {
    for (const r of listReseals(holderDoc))
      addSealedCopy(workspace, r.environmentId, r.secretKey, r.targetViberId, r.sealed);
  };
  const targetMayPrepare = () => targetGuard.mayPrepare(getBinding(workspace, targetBinding)!, env());
  const targetOpens = async () =>
    (await openEnvironmentSecrets(env(), TARGET, target, [])).opened.map((s) => [s.name, s.value]);
  /** The user rotates TOKEN to `value` at `at`, sealed for the holder: spec signed at `version`, copy signed. */
  const rotate = async (value: string, at: number, version: number) => {
    patchEnvironment(
      workspace,
      envId,
      {
        secrets: {
          TOKEN: { scope: 'runtime', sealed: { vbr_holder: await sealSecret(value, holder.publicKey) } },
        },
      },
      at,
    );
    signEnvironmentSpec(workspace, envId, version, await sign(environmentSpecIntent(env(), version)));
    await signCopy();
  };
  return {
    rotate,
    user,
    workspace,
    holder,
    holderDoc,
    holderBinding,
    target,
    targetDoc,
    targetBinding,
    envId,
    env,
    signCopy,
    signSpec,
    signBindingOf,
    reseal,
    copyAsTheApp,
    targetMayPrepare,
    targetOpens,
    restartTarget,
  };
}

/** Everything signed as the app signs it when the user maps both Vibers and saves the secret. */
async function signed() {
  const t = await setup();
  await t.signSpec();
  await t.signCopy();
  await t.signBindingOf(t.holderBinding, t.holder.publicKey);
  await t.signBindingOf(t.targetBinding, t.target.publicKey);
  return t;
}

describe('[T5] [X5] re-seal on a pinned holder', () => {
  it('re-seals a signed copy to the key the signed binding names, authenticated by its own key', async () => {
    const t = await signed();
    expect(await t.reseal()).toBe(1);
    const [published] = listReseals(t.holderDoc);
    expect(published!.sealed.startsWith('b3BlbnZpYmVyLXJlc2VhbC8x')).toBe(true); // "openviber-reseal/1"
    t.copyAsTheApp();
    expect(await t.targetOpens()).toEqual([['TOKEN', SECRET]]);
  });

  it('passes nothing on from an unsigned (possibly planted) copy of its own', async () => {
    const t = await setup();
    await t.signBindingOf(t.targetBinding, t.target.publicKey);
    expect(await t.reseal()).toBe(0);
    expect(listReseals(t.holderDoc)).toEqual([]);
  });

  it('re-seals nothing to a registry key the server substituted, nor to a Viber whose binding is unsigned', async () => {
    const t = await setup();
    await t.signCopy();
    expect(await t.reseal()).toBe(0); // target binding unsigned
    await t.signBindingOf(t.targetBinding, t.target.publicKey);
    const attacker = await generateKeyPair();
    upsertViber(t.workspace, {
      id: TARGET,
      name: 't',
      publicKey: attacker.publicKey,
      createdAt: 1,
      lastSeenAt: 0,
    });
    expect(await t.reseal()).toBe(0);
    expect(listReseals(t.holderDoc)).toEqual([]);
  });

  it('re-seals only a value set no later than the target’s binding was signed: a rotated one waits for a new signature', async () => {
    const t = await signed();
    const signedAt = getBinding(t.workspace, t.targetBinding)!.signedAt;
    expect(signedAt).toBeGreaterThanOrEqual(t.env().secrets.TOKEN!.updatedAt);
    // The user rotates the secret after mapping the target (an old binding signature, such as a
    // removed Viber's served again, vouches for the values before it only).
    await t.rotate('rotated', signedAt + 1, 2);
    expect(await t.reseal()).toBe(0);
    // The same binding, signed again by a device (Approve, or the next Prepare): the value is re-sealed.
    const b = getBinding(t.workspace, t.targetBinding)!;
    const later = signedAt + 2;
    signBinding(
      t.workspace,
      b.id,
      b.generation,
      await signIntent(bindingIntent({ ...b, signedAt: later }, t.target.publicKey), t.user.privateKey),
      later,
    );
    expect(await t.reseal()).toBe(1);
    t.copyAsTheApp();
    expect(await t.targetOpens()).toEqual([['TOKEN', 'rotated']]);
    // A server raising the stored signedAt to cover a later value breaks the binding's signature.
    await t.rotate('again', later + 10, 3);
    (bindingsMap(t.workspace).get(b.id) as Y.Map<unknown>).set('signedAt', later + 1_000);
    expect(await t.reseal()).toBe(0);
  });

  it('never re-seals to a Viber it saw removed, though the server brings back its signed binding and key after a rotation', async () => {
    const t = await signed();
    const oldBinding = getBinding(t.workspace, t.targetBinding)!;
    removeViberCascade(t.workspace, TARGET);
    expect(await t.reseal()).toBe(0);
    // The server, later hostile (and holding the removed Viber's key), writes back its registry
    // entry and its old binding, whose signature never expires; the user then rotates the secret.
    upsertViber(t.workspace, {
      id: TARGET,
      name: 't',
      publicKey: t.target.publicKey,
      createdAt: 1,
      lastSeenAt: 0,
    });
    t.workspace.transact(() => {
      const map = new Y.Map<unknown>();
      bindingsMap(t.workspace).set(oldBinding.id, map);
      for (const [field, value] of Object.entries(oldBinding)) if (field !== 'id') map.set(field, value);
    });
    expect(getBinding(t.workspace, t.targetBinding)).toEqual(oldBinding);
    await t.rotate('rotated', 2, 2);
    expect(t.env().secrets.TOKEN!.updatedAt).toBe(2);
    // Its record of the removal outlives the deletions log (trimmed, or rewritten by the server).
    t.workspace.transact(() => deletionsMap(t.workspace).clear());
    expect(await t.reseal()).toBe(0);
    expect(listReseals(t.holderDoc)).toEqual([]);
  });
});

describe('[T6] [X5] a pinned receiver and a re-seal copy no device signed', () => {
  it('uses the holder’s copy: a binding the user signed names the holder’s key, and that key authenticates it', async () => {
    const t = await signed();
    expect(t.targetMayPrepare()).toBe(true); // nothing sealed for it yet: the prepare reports the missing secret
    expect(await t.reseal()).toBe(1);
    t.copyAsTheApp();
    expect(t.env().secrets.TOKEN!.signatures).toEqual({ vbr_holder: expect.any(String) }); // none for the copy
    expect(t.targetMayPrepare()).toBe(true);
    expect(listRefusals(t.targetDoc)).toEqual([]);
    expect(await t.targetOpens()).toEqual([['TOKEN', SECRET]]);
  });

  it('keeps using a copy it accepted after the holder’s mapping is removed (also after a restart), and nothing else from it', async () => {
    const t = await signed();
    expect(await t.reseal()).toBe(1);
    t.copyAsTheApp();
    expect(t.targetMayPrepare()).toBe(true);
    deleteBinding(t.workspace, t.holderBinding);
    expect(t.targetMayPrepare()).toBe(true);
    await t.restartTarget();
    expect(t.targetMayPrepare()).toBe(true);
    expect(await t.targetOpens()).toEqual([['TOKEN', SECRET]]);
    // Another copy under the unmapped holder's name, even a genuine one, is checked afresh: refused.
    const other = await sealResealCopy(
      SECRET,
      { environmentId: t.envId, key: 'TOKEN', viberId: TARGET, updatedAt: t.env().secrets.TOKEN!.updatedAt },
      { viberId: HOLDER, ...t.holder },
      t.target.publicKey,
    );
    addSealedCopy(t.workspace, t.envId, 'TOKEN', TARGET, other);
    expect(t.targetMayPrepare()).toBe(false);
    expect(listRefusals(t.targetDoc)).toEqual([expect.objectContaining({ reason: 'bad signature' })]);
  });

  it('refuses a copy from a Viber whose mapping is not signed, until it is', async () => {
    const t = await setup();
    await t.signSpec();
    await t.signBindingOf(t.targetBinding, t.target.publicKey);
    const copy = await sealResealCopy(
      SECRET,
      { environmentId: t.envId, key: 'TOKEN', viberId: TARGET, updatedAt: t.env().secrets.TOKEN!.updatedAt },
      { viberId: HOLDER, ...t.holder },
      t.target.publicKey,
    );
    addSealedCopy(t.workspace, t.envId, 'TOKEN', TARGET, copy);
    expect(t.targetMayPrepare()).toBe(false);
    expect(listRefusals(t.targetDoc)).toEqual([
      expect.objectContaining({
        kind: 'environment',
        reason: 'unsigned',
        detail: expect.stringContaining('vbr_holder'),
      }),
    ]);
    await t.signBindingOf(t.holderBinding, t.holder.publicKey);
    expect(t.targetMayPrepare()).toBe(true);
  });

  it('refuses what the server could plant: a sealed box of its choosing, a copy under the holder’s name from another key, or one moved from another value', async () => {
    const t = await signed();
    const attacker = await generateKeyPair();
    const target = (updatedAt = t.env().secrets.TOKEN!.updatedAt) => ({
      environmentId: t.envId,
      key: 'TOKEN',
      viberId: TARGET,
      updatedAt,
    });
    const planted = {
      // crypto_box_seal needs no key of its sender: anyone can make one; no device signed it.
      'a sealed box': [await sealSecret('attacker-value-123', t.target.publicKey), 'unsigned'],
      // The attacker's own key pair, under the holder's id: no signed binding names that key.
      'another key': [
        await sealResealCopy(
          'attacker-value-123',
          target(),
          { viberId: HOLDER, ...attacker },
          t.target.publicKey,
        ),
        'bad signature',
      ],
      // The holder's public key, but the attacker's private key: it does not authenticate.
      'a forged box': [
        await sealResealCopy(
          'attacker-value-123',
          target(),
          { viberId: HOLDER, publicKey: t.holder.publicKey, privateKey: attacker.privateKey },
          t.target.publicKey,
        ),
        'bad signature',
      ],
      // A genuine copy of an older value (replayed after the user replaced it).
      'an older value': [
        await sealResealCopy(
          'the-old-value-123',
          target(0),
          { viberId: HOLDER, ...t.holder },
          t.target.publicKey,
        ),
        'bad signature',
      ],
    } as const;
    for (const [what, [box, reason]] of Object.entries(planted)) {
      addSealedCopy(t.workspace, t.envId, 'TOKEN', TARGET, box);
      expect(t.targetMayPrepare(), what).toBe(false);
      expect(listRefusals(t.targetDoc), what).toEqual([
        expect.objectContaining({ kind: 'environment', id: t.envId, reason }),
      ]);
    }
  });
});
