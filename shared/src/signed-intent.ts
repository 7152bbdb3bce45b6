// Signed intent (design §5b, [T1]–[T8]): the ONE canonical encoding of what a user's device signs
// and a pinned Viber verifies. No libsodium here (sign/verify live in crypto.ts), so the app can
// build the bytes to show or sign without loading it. Node, the browser and scripts share this.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { ViberId } from './ids.ts';
import type { environmentFieldSchemas } from './schemas.ts';
import { PREPARE_FIELDS } from './spec-hash.ts';
import type { Binding } from './workspace-bindings.ts';
import type { Environment } from './workspace-environments.ts';

/** What kind of statement a signature is over; the kind is part of the signed bytes ([T2]). */
export const IntentKind = {
  environmentSpec: 'environment-spec',
  binding: 'binding',
  message: 'message',
  cancel: 'cancel',
  push: 'push',
  sealedCopy: 'sealed-copy',
  keyRotation: 'key-rotation',
} as const;
export type IntentKind = (typeof IntentKind)[keyof typeof IntentKind];

/** The encoding's own version: bumped only if the bytes for the same intent ever change. */
export const INTENT_ENCODING = 'openviber-intent/1';

/**
 * The environment fields a spec signature covers: what a prepare depends on (PREPARE_FIELDS, the
 * one list) and what a task's run depends on. A field appended to PREPARE_FIELDS is signed with no
 * other change; vars and secret metadata are signed beside these.
 */
export const SIGNED_ENVIRONMENT_FIELDS = [
  ...PREPARE_FIELDS,
  'agentCommand',
  'networkAccess',
  'persistVolume',
] as const satisfies readonly (keyof Environment)[];
export type SignedEnvironmentField = (typeof SIGNED_ENVIRONMENT_FIELDS)[number];

/**
 * The environment's fields no signature covers, each with the reason: none decides what a Viber
 * prepares or runs. Exhaustive: a field added to the schema that is in neither list is a type error.
 */
export const UNSIGNED_ENVIRONMENT_FIELDS = {
  name: 'a label the app shows; renaming changes nothing a Viber runs',
  description: 'a note the app shows; it changes nothing a Viber runs',
  pinned: 'where the app lists the environment; it changes nothing a Viber runs',
} as const satisfies Record<Exclude<keyof typeof environmentFieldSchemas, SignedEnvironmentField>, string>;

/** An environment's execution spec: everything that decides what a prepare or a task runs. */
export interface EnvironmentSpecIntent extends Pick<Environment, SignedEnvironmentField> {
  kind: typeof IntentKind.environmentSpec;
  environmentId: string;
  /** Only grows: a pinned Viber refuses a lower one than it accepted ([T5]). */
  specVersion: number;
  vars: Record<string, string>;
  /** Which secrets exist and which value (updatedAt) each holds; each ciphertext is a sealed-copy intent. */
  secrets: Record<string, { scope: string; updatedAt: number }>;
}

/** A binding (desired state): which Viber prepares which environment, how, at which generation. */
export interface BindingIntent {
  kind: typeof IntentKind.binding;
  bindingId: string;
  environmentId: string;
  viberId: string;
  /** The Viber's X25519 key the device saw: a Viber re-seals secrets only to this key ([T7]). */
  viberPublicKey: string;
  strategy: string;
  existingPath: string;
  generation: number;
  /** When the device signed (ms); absent in what an older app signed. Secrets set after it are never re-sealed to this Viber. */
  signedAt?: number;
}

/** One task message: what the task's Viber executes. */
export interface MessageIntent {
  kind: typeof IntentKind.message;
  taskId: string;
  environmentId: string;
  viberId: string;
  messageId: string;
  text: string;
}

/** A cancel request for one message of a task. */
export interface CancelIntent {
  kind: typeof IntentKind.cancel;
  taskId: string;
  messageId: string;
}

/** A request to commit a task's working copy and push it to a branch: what the task's Viber runs on it. */
export interface PushIntent {
  kind: typeof IntentKind.push;
  taskId: string;
  environmentId: string;
  viberId: string;
  requestId: string;
  branch: string;
  /** As requested ('' when none: the Viber then uses the task's title). */
  commitMessage: string;
}

/** One ciphertext of a secret sealed for one Viber by a device (a re-seal copy is never signed, [T6]). */
export interface SealedCopyIntent {
  kind: typeof IntentKind.sealedCopy;
  environmentId: string;
  key: string;
  viberId: string;
  /** The secret's updatedAt: an older value's ciphertext does not verify for the current one. */
  updatedAt: number;
  sealed: string;
}

/** A new signing key, signed by the current one (the only way to replace a set key, [T8]). */
export interface KeyRotationIntent {
  kind: typeof IntentKind.keyRotation;
  oldPublicKey: string;
  newPublicKey: string;
}

export type SignedIntent =
  | EnvironmentSpecIntent
  | BindingIntent
  | MessageIntent
  | CancelIntent
  | PushIntent
  | SealedCopyIntent
  | KeyRotationIntent;

type Canonical = string | number | boolean | null | Canonical[] | { [key: string]: Canonical };

/**
 * Deterministic JSON ([T1]): object keys sorted by UTF-16 code units, no whitespace, and only
 * safe integers as numbers (no float formatting to disagree on). Anything else throws: an
 * intent that cannot be encoded must never be signed or accepted.
 */
export function canonicalJson(value: unknown, path = ''): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${path || 'value'} must be a safe integer`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    const fields = keys
      .filter((k) => record[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k], path ? `${path}.${k}` : k)}`);
    return `{${fields.join(',')}}`;
  }
  throw new TypeError(`${path || 'value'} cannot be encoded (${typeof value})`);
}

/** The exact bytes signed for an intent: `openviber-intent/1\n<kind>\n<canonical JSON>` ([T1], [T2]). */
export function intentBytes(intent: SignedIntent): Uint8Array {
  return utf8ToBytes(`${INTENT_ENCODING}\n${intent.kind}\n${canonicalJson(intent as unknown as Canonical)}`);
}

// ---- building intents from the documents' entities (what the app signs, what a Viber checks)

const sorted = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The execution spec of an environment at `specVersion` (its stored one unless given). */
export function environmentSpecIntent(
  env: Environment,
  specVersion = env.specVersion,
): EnvironmentSpecIntent {
  return {
    kind: IntentKind.environmentSpec,
    environmentId: env.id,
    specVersion,
    ...pick(env, SIGNED_ENVIRONMENT_FIELDS),
    vars: sorted(env.vars),
    secrets: Object.fromEntries(
      Object.entries(sorted(env.secrets)).map(([key, s]) => [
        key,
        { scope: s.scope, updatedAt: s.updatedAt },
      ]),
    ),
  };
}

/** A binding at its stored generation, for the Viber whose public key is `viberPublicKey`. */
export function bindingIntent(binding: Binding, viberPublicKey: string): BindingIntent {
  return {
    kind: IntentKind.binding,
    bindingId: binding.id,
    environmentId: binding.environmentId,
    viberId: binding.viberId,
    viberPublicKey,
    strategy: binding.strategy,
    existingPath: binding.existingPath,
    generation: binding.generation,
    ...(binding.signedAt ? { signedAt: binding.signedAt } : {}),
  };
}

export function messageIntent(input: Omit<MessageIntent, 'kind'>): MessageIntent {
  return {
    kind: IntentKind.message,
    ...pick(input, ['taskId', 'environmentId', 'viberId', 'messageId', 'text']),
  };
}

export function cancelIntent(input: Omit<CancelIntent, 'kind'>): CancelIntent {
  return { kind: IntentKind.cancel, ...pick(input, ['taskId', 'messageId']) };
}

export function pushIntent(input: Omit<PushIntent, 'kind'>): PushIntent {
  return {
    kind: IntentKind.push,
    ...pick(input, ['taskId', 'environmentId', 'viberId', 'requestId', 'branch', 'commitMessage']),
  };
}

/**
 * The ciphertext of `env`'s secret `key` sealed for `viberId` and the signature stored beside it
 * ('' each when there is none), for an id as `Object.keys` or a config gives it.
 */
export function storedSealedCopy(
  env: Environment,
  key: string,
  viberId: string,
): { sealed: string; signature: string } {
  const secret = env.secrets[key];
  const id = viberId as ViberId; // only a lookup: an unknown id finds nothing
  return { sealed: secret?.sealed[id] ?? '', signature: secret?.signatures[id] ?? '' };
}

/** The sealed copy of `env`'s secret `key` for `viberId`, as stored (undefined when there is none). */
export function sealedCopyIntent(
  env: Environment,
  key: string,
  viberId: string,
): SealedCopyIntent | undefined {
  const secret = env.secrets[key];
  const { sealed } = storedSealedCopy(env, key, viberId);
  if (!secret || !sealed) return undefined;
  return {
    kind: IntentKind.sealedCopy,
    environmentId: env.id,
    key,
    viberId,
    updatedAt: secret.updatedAt,
    sealed,
  };
}

export function keyRotationIntent(oldPublicKey: string, newPublicKey: string): KeyRotationIntent {
  return { kind: IntentKind.keyRotation, oldPublicKey, newPublicKey };
}

/** Only the named fields: an extra property on the input must never change the signed bytes. */
function pick<T extends object, K extends keyof T>(input: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, input[k]])) as Pick<T, K>;
}
