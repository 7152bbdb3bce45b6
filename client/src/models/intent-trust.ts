// What this device may sign (design §5b, [T10], [T11]): the user's own edit over content the user
// already signed, or what the user approved with the whole content in front of them — never whatever
// the server's copy says. Callers take snapshots synchronously around their write (the stored content
// just before and just after it, in one tick, so no remote edit comes between); the checks here run
// on those snapshots, and a signature is written only while the stored content is still the snapshot.
import {
  bindingIntent,
  canonicalJson,
  environmentSpecIntent,
  getBinding,
  getEnvironment,
  getViber,
  listBindings,
  listEnvironments,
  signBinding,
  signEnvironmentSpec,
  type Binding,
  type Environment,
  type SignedIntent,
  type ViberRecord,
} from '@openviber/shared';
import type * as Y from 'yjs';
import type { KnownSpec, TrustRecords, TrustStore } from '../lib/trust-store.ts';

/** How a stored execution spec stands for this device. Only `signed` may be built on by a Save. */
export const SpecStanding = {
  /** Its signature verifies with the user's key and it is not older than a version this device knows. */
  signed: 'signed',
  unsigned: 'unsigned',
  badSignature: 'bad signature',
  /** Validly signed, but older than a version this device signed or saw signed: replayed. */
  rolledBack: 'rolled back',
} as const;
export type SpecStanding = (typeof SpecStanding)[keyof typeof SpecStanding];

/** How a stored binding stands for this device. */
export const BindingStanding = {
  signed: 'signed',
  unsigned: 'unsigned',
  badSignature: 'bad signature',
  /** The registry's key for its Viber is not the one this device confirmed. */
  keyChanged: 'key changed',
  /** Its Viber is not in the registry (removed). */
  noViber: 'no viber',
} as const;
export type BindingStanding = (typeof BindingStanding)[keyof typeof BindingStanding];

/** What signing a binding came to. */
export type BindingSignResult = 'signed' | 'key changed' | 'review' | 'no key' | 'moved' | 'gone';

/** One execution-spec field that differs from the newest validly signed version this device knows. */
export interface SpecChange {
  field: string;
  was: string;
  now: string;
}

export interface IntentTrustDeps {
  workspace: Y.Doc;
  /** Synchronous check against the user's public signing key. */
  verify: (intent: SignedIntent, signature: string) => boolean;
  /** A signature by this device, or null when it holds no key. */
  sign: (intent: SignedIntent) => Promise<string | null>;
  store: TrustStore;
  /** Loaded from `store`; kept in step with it here. */
  records: TrustRecords;
}

const specContent = (env: Environment) => canonicalJson(environmentSpecIntent(env, 0));

export function createIntentTrust({ workspace, verify, sign, store, records }: IntentTrustDeps) {
  /** Ids being signed right now: their momentary unsigned state is this device's own write, not a change to review. */
  const pending = new Set<string>();

  async function rememberSpec(envId: string, known: KnownSpec) {
    const had = records.specs[envId];
    if (had && had.version >= known.version) return;
    records.specs[envId] = known;
    await store.putSpec(envId, known);
  }

  function specStanding(env: Environment): SpecStanding {
    if (!env.specSignature) return SpecStanding.unsigned;
    if (!verify(environmentSpecIntent(env), env.specSignature)) return SpecStanding.badSignature;
    const known = records.specs[env.id];
    if (known && env.specVersion < known.version) return SpecStanding.rolledBack;
    return SpecStanding.signed;
  }

  /**
   * Signs `expected` (a snapshot of the stored environment) at the next specVersion — above the
   * stored one, the newest this device knows, and `floor` (a version a Viber accepted) — and writes
   * the signature only if the stored spec is still exactly the snapshot. Nothing when it already
   * stands signed at or above `floor`.
   */
  async function signSpecAs(expected: Environment, floor = 0): Promise<boolean> {
    if (specStanding(expected) === SpecStanding.signed && expected.specVersion >= floor) return true;
    const next = Math.max(expected.specVersion, records.specs[expected.id]?.version ?? 0, floor) + 1;
    const intent = environmentSpecIntent(expected, next);
    pending.add(expected.id);
    try {
      const signature = await sign(intent);
      const now = getEnvironment(workspace, expected.id);
      if (!signature || !now || specContent(now) !== specContent(expected)) return false;
      signEnvironmentSpec(workspace, expected.id, next, signature);
      await rememberSpec(expected.id, { version: next, spec: intent });
      return true;
    } finally {
      pending.delete(expected.id);
    }
  }

  /**
   * A Save: `before` and `after` are the stored environment just before and just after the user's edit
   * was written (undefined before: the user created it). The result is signed only when `before` stood
   * signed — the fields the user did not touch are then ones the user already signed; otherwise
   * nothing is signed and the environment waits for review (Approve).
   */
  async function signEdit(before: Environment | undefined, after: Environment): Promise<'signed' | 'review'> {
    if (before && specStanding(before) !== SpecStanding.signed) return 'review';
    return (await signSpecAs(after)) ? 'signed' : 'review';
  }

  /** What changed in `env`'s spec since the newest validly signed version this device knows ([] if none is known). */
  function specChanges(env: Environment): SpecChange[] {
    const known = records.specs[env.id];
    if (!known) return [];
    const was = known.spec as unknown as Record<string, unknown>;
    const now = environmentSpecIntent(env, known.version) as unknown as Record<string, unknown>;
    const show = (v: unknown) => (typeof v === 'string' ? v : canonicalJson(v ?? null));
    return Object.keys(now)
      .filter((field) => canonicalJson(was[field] ?? null) !== canonicalJson(now[field] ?? null))
      .map((field) => ({ field, was: show(was[field]), now: show(now[field]) }));
  }

  // ---- bindings: signed only for a Viber key this device confirmed ([T11])

  /** The key this device confirmed for `viberId`, else (first use) the registry's. */
  const keyFor = (viberId: string) => records.viberKeys[viberId] ?? getViber(workspace, viberId)?.publicKey;

  function bindingStanding(binding: Binding): BindingStanding {
    const registry = getViber(workspace, binding.viberId);
    if (!registry) return BindingStanding.noViber;
    const confirmed = records.viberKeys[binding.viberId];
    if (confirmed && confirmed !== registry.publicKey) return BindingStanding.keyChanged;
    if (!binding.signature) return BindingStanding.unsigned;
    return verify(bindingIntent(binding, confirmed ?? registry.publicKey), binding.signature)
      ? BindingStanding.signed
      : BindingStanding.badSignature;
  }

  /** Trust on first use: records `publicKey` for `viberId` unless a key is confirmed already; true if it is the confirmed one. */
  async function confirmViberKey(viberId: string, publicKey: string): Promise<boolean> {
    const confirmed = records.viberKeys[viberId];
    if (confirmed) return confirmed === publicKey;
    records.viberKeys[viberId] = publicKey;
    await store.putViberKey(viberId, publicKey);
    return true;
  }

  /** After the user compared the fingerprint on the machine: `publicKey` replaces the confirmed key. */
  async function trustNewViberKey(viberId: string, publicKey: string): Promise<void> {
    records.viberKeys[viberId] = publicKey;
    await store.putViberKey(viberId, publicKey);
  }

  /**
   * Signs `expected` (a snapshot of the stored binding) for its Viber's confirmed key (recording the
   * registry's on first use); writes it only while the stored binding is still the snapshot.
   */
  async function signBindingAs(expected: Binding): Promise<BindingSignResult> {
    const registry = getViber(workspace, expected.viberId);
    if (!registry) return 'gone';
    if (!(await confirmViberKey(expected.viberId, registry.publicKey))) return 'key changed';
    if (expected.signature && verify(bindingIntent(expected, registry.publicKey), expected.signature))
      return 'signed';
    // Signed now: the environment's secret values set until now may be re-sealed to this Viber, no
    // later one ([T5]) — a removed Viber's old binding, served again, never gets a rotated secret.
    // Not before a value the user signed in the spec, though: another device's clock may be ahead.
    const env = getEnvironment(workspace, expected.environmentId);
    const vouched =
      env && specStanding(env) === SpecStanding.signed
        ? Math.max(0, ...Object.values(env.secrets).map((secret) => secret.updatedAt))
        : 0;
    const signedAt = Math.max(Date.now(), vouched);
    const intent = bindingIntent({ ...expected, signedAt }, registry.publicKey);
    pending.add(expected.id);
    try {
      const signature = await sign(intent);
      if (!signature) return 'no key';
      // Only if nothing moved meanwhile: writing an older generation back would undo a newer Prepare.
      const now = getBinding(workspace, expected.id);
      if (
        !now ||
        canonicalJson(bindingIntent({ ...now, signedAt }, registry.publicKey)) !== canonicalJson(intent)
      )
        return 'moved';
      signBinding(workspace, expected.id, expected.generation, signature, signedAt);
      return 'signed';
    } finally {
      pending.delete(expected.id);
    }
  }

  /**
   * Prepare / Sync: `before` and `after` are the stored binding just before and after its generation
   * was bumped. The new generation is signed only if `before` stood signed (its strategy and existing
   * path are then what the user signed); otherwise it waits for review.
   */
  async function signPrepared(before: Binding, after: Binding): Promise<BindingSignResult> {
    const standing = bindingStanding(before);
    if (standing === BindingStanding.keyChanged) return 'key changed';
    if (standing !== BindingStanding.signed) return 'review';
    return signBindingAs(after);
  }

  // ---- secrets: sealed only to a Viber key this device confirmed ([T11])

  /**
   * Of `vibers` (the registry), those a new secret value may be sealed to — each with the key this
   * device confirmed (recording the registry's on first use, as a mapping does) — and those whose
   * registry key is not the confirmed one: the server may have swapped it, so they get no ciphertext
   * until the user compared fingerprints and trusted the new key.
   */
  async function sealTargets(vibers: readonly ViberRecord[]) {
    const seal: ViberRecord[] = [];
    const keyChanged: ViberRecord[] = [];
    for (const viber of vibers)
      if (await confirmViberKey(viber.id, viber.publicKey)) seal.push(viber);
      else keyChanged.push(viber);
    return { seal, keyChanged };
  }

  /** Per registry Viber whose key is not the one this device confirmed: the confirmed key. */
  function changedViberKeys(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [viberId, confirmed] of Object.entries(records.viberKeys)) {
      const registry = getViber(workspace, viberId);
      if (registry && registry.publicKey !== confirmed) out[viberId] = confirmed;
    }
    return out;
  }

  // ---- what the views show

  /** Learns what other devices validly signed (newer spec versions, a Viber key a signed binding names). */
  async function learn(): Promise<void> {
    for (const env of listEnvironments(workspace)) {
      const known = records.specs[env.id];
      if ((!known || env.specVersion > known.version) && specStanding(env) === SpecStanding.signed)
        await rememberSpec(env.id, { version: env.specVersion, spec: environmentSpecIntent(env) });
    }
    for (const binding of listBindings(workspace)) {
      const key = keyFor(binding.viberId);
      if (!records.viberKeys[binding.viberId] && key && bindingStanding(binding) === BindingStanding.signed)
        await confirmViberKey(binding.viberId, key);
    }
  }

  /** Every environment and binding that does not stand signed (what this device being mid-signing is left out). */
  function standings() {
    const specs = new Map<string, SpecStanding>();
    for (const env of listEnvironments(workspace)) {
      const s = pending.has(env.id) ? SpecStanding.signed : specStanding(env);
      if (s !== SpecStanding.signed) specs.set(env.id, s);
    }
    const bindings = new Map<string, BindingStanding>();
    for (const binding of listBindings(workspace)) {
      const s = pending.has(binding.id) ? BindingStanding.signed : bindingStanding(binding);
      if (s !== BindingStanding.signed && s !== BindingStanding.noViber) bindings.set(binding.id, s);
    }
    return { specs, bindings };
  }

  return {
    specStanding,
    signSpecAs,
    signEdit,
    specChanges,
    knownSpec: (envId: string): KnownSpec | undefined => records.specs[envId],
    confirmedKey: (viberId: string): string | undefined => records.viberKeys[viberId],
    bindingStanding,
    confirmViberKey,
    trustNewViberKey,
    signBindingAs,
    signPrepared,
    sealTargets,
    changedViberKeys,
    learn,
    standings,
  };
}

export type IntentTrust = ReturnType<typeof createIntentTrust>;
