// Environments in the workspace document: one nested Y.Map per environment, vars and secrets as child maps.
import * as Y from 'yjs';
import { z } from 'zod';
import { SecretScope } from './enums.ts';
import { DeletedKind, recordDeletion } from './workspace-deletions.ts';
import { newId, type EnvironmentId, type ViberId } from './ids.ts';
import { environmentSpecIntent } from './signed-intent.ts';
import type { FieldIssue } from './result.ts';
import {
  ENVIRONMENT_DEFAULTS,
  environmentFieldSchemas,
  envKeySchema,
  sealedBoxSchema,
  type EnvironmentCreate,
  type EnvironmentPatch,
  type SealedSecretInput,
} from './schemas.ts';
import {
  childMap,
  entityMaps,
  numberOr,
  readField,
  safeIntegerOr,
  setFields,
  signatureOr,
  type YEntity,
} from './y-fields.ts';

/** A secret as stored: ciphertext per Viber; never a plaintext value. */
export interface StoredSecret {
  scope: SecretScope;
  updatedAt: number;
  sealed: Record<ViberId, string>;
  /** Per Viber: a signature over its ciphertext (a sealed-copy intent, [T6]); '' entries are absent. */
  signatures: Record<ViberId, string>;
}

export type EnvironmentFields = {
  -readonly [K in keyof typeof ENVIRONMENT_DEFAULTS]: (typeof ENVIRONMENT_DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof ENVIRONMENT_DEFAULTS)[K] extends string
      ? string
      : never;
} & {
  name: string;
  type: EnvironmentCreate['type'];
  setupMode: EnvironmentCreate['setupMode'];
};

export interface Environment extends EnvironmentFields {
  id: EnvironmentId;
  createdAt: number;
  updatedAt: number;
  vars: Record<string, string>;
  secrets: Record<string, StoredSecret>;
  /** The execution spec's version (only grows) and a device's signature over it ([T4]); 0 and '' when unsigned. */
  specVersion: number;
  specSignature: string;
  /** Fields a peer stored with the wrong shape; they read as their defaults. */
  problems: FieldIssue[];
}

const FIELD_NAMES = Object.keys(environmentFieldSchemas) as (keyof EnvironmentFields)[];

export const environmentsMap = (doc: Y.Doc) => doc.getMap<unknown>('environments');

/** Reads one environment entity; never throws on what a peer stored. */
export function readEnvironment(id: string, map: YEntity): Environment {
  const problems: FieldIssue[] = [];
  const fields: Record<string, unknown> = {};
  for (const key of FIELD_NAMES) {
    const fallback =
      key === 'name'
        ? 'Untitled environment'
        : key === 'type'
          ? 'manual'
          : ENVIRONMENT_DEFAULTS[key as keyof typeof ENVIRONMENT_DEFAULTS];
    fields[key] = readField(map, key, environmentFieldSchemas[key] as z.ZodType<unknown>, fallback, problems);
  }
  const vars: Record<string, string> = {};
  const varsMap = map.get('vars');
  if (varsMap instanceof Y.Map) {
    varsMap.forEach((value, key) => {
      if (typeof value === 'string' && envKeySchema.safeParse(key).success) vars[key] = value;
      else problems.push({ field: `vars.${key}`, message: 'is not a valid variable' });
    });
  }
  const secrets: Record<string, StoredSecret> = {};
  const secretsMap = map.get('secrets');
  if (secretsMap instanceof Y.Map) {
    for (const [key, secret] of entityMaps(secretsMap)) {
      if (!envKeySchema.safeParse(key).success) continue;
      secrets[key] = readSecret(secret);
    }
  }
  return {
    ...(fields as EnvironmentFields),
    id: id as EnvironmentId,
    createdAt: numberOr(map.get('createdAt'), 0),
    updatedAt: numberOr(map.get('updatedAt'), numberOr(map.get('createdAt'), 0)),
    vars,
    secrets,
    specVersion: safeIntegerOr(map.get('specVersion'), 0),
    specSignature: signatureOr(map.get('specSignature')),
    problems,
  };
}

function readSecret(map: YEntity): StoredSecret {
  const scope = map.get('scope') === SecretScope.setup ? SecretScope.setup : SecretScope.runtime;
  const sealed: Record<string, string> = {};
  const sealedMap = map.get('sealed');
  if (sealedMap instanceof Y.Map) {
    sealedMap.forEach((value, viberId) => {
      if (sealedBoxSchema.safeParse(value).success) sealed[viberId] = value as string;
    });
  }
  const signatures: Record<string, string> = {};
  const signaturesMap = map.get('signatures');
  if (signaturesMap instanceof Y.Map) {
    signaturesMap.forEach((value, viberId) => {
      const signature = signatureOr(value);
      if (signature) signatures[viberId] = signature;
    });
  }
  return {
    scope,
    updatedAt: numberOr(map.get('updatedAt'), 0),
    sealed: sealed as Record<ViberId, string>,
    signatures: signatures as Record<ViberId, string>,
  };
}

export function getEnvironment(doc: Y.Doc, id: string): Environment | undefined {
  const map = environmentsMap(doc).get(id);
  return map instanceof Y.Map ? readEnvironment(id, map as YEntity) : undefined;
}

export function listEnvironments(doc: Y.Doc): Environment[] {
  return entityMaps(environmentsMap(doc))
    .map(([id, map]) => readEnvironment(id, map))
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** Creates an environment from validated input; returns its new id. */
export function createEnvironment(doc: Y.Doc, input: EnvironmentCreate, now = Date.now()): EnvironmentId {
  const id = newId<EnvironmentId>('env');
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    environmentsMap(doc).set(id, map);
    const { vars, secrets, ...fields } = input;
    // Fields at their default are not stored (readers fall back to the defaults): a large workspace
    // syncs faster, and the id is the map key already.
    const changed = Object.entries(fields).filter(
      ([key, value]) => ENVIRONMENT_DEFAULTS[key as keyof typeof ENVIRONMENT_DEFAULTS] !== value,
    );
    setFields(map, { ...Object.fromEntries(changed), createdAt: now });
    map.set('vars', new Y.Map<unknown>());
    map.set('secrets', new Y.Map<unknown>());
    applyVars(map, vars);
    applySecrets(map, secrets, now);
  });
  return id;
}

/** Applies a validated patch: given fields are set, vars and secrets merge by key (null deletes). */
export function patchEnvironment(doc: Y.Doc, id: string, patch: EnvironmentPatch, now = Date.now()): boolean {
  const map = environmentsMap(doc).get(id);
  if (!(map instanceof Y.Map)) return false;
  doc.transact(() => {
    const { vars, secrets, ...fields } = patch;
    const before = specFieldsKey(readEnvironment(id, map as YEntity));
    setFields(map as YEntity, { ...fields, updatedAt: now });
    if (vars) applyVars(map as YEntity, vars);
    if (secrets) applySecrets(map as YEntity, secrets, now);
    // A changed execution spec is unsigned until a device signs it again ([T4]): awaiting approval.
    if (specFieldsKey(readEnvironment(id, map as YEntity)) !== before)
      (map as YEntity).delete('specSignature');
  });
  return true;
}

/** What the execution spec holds, for noticing a change (not the signed bytes: those are intentBytes). */
const specFieldsKey = (env: Environment) => JSON.stringify(environmentSpecIntent(env, 0));

/** Records a device's signature over the environment's execution spec at `specVersion` ([T4]). */
export function signEnvironmentSpec(doc: Y.Doc, id: string, specVersion: number, signature: string): boolean {
  const map = environmentsMap(doc).get(id);
  if (!(map instanceof Y.Map) || !signatureOr(signature) || !Number.isSafeInteger(specVersion)) return false;
  doc.transact(() => setFields(map as YEntity, { specVersion, specSignature: signature }));
  return true;
}

/** Records a device's signature over the ciphertext of `key` sealed for `viberId` (a sealed-copy intent, [T6]). */
export function signSealedCopy(
  doc: Y.Doc,
  envId: string,
  key: string,
  viberId: string,
  signature: string,
): boolean {
  const env = environmentsMap(doc).get(envId);
  const secrets = env instanceof Y.Map ? (env as YEntity).get('secrets') : undefined;
  const entry = secrets instanceof Y.Map ? (secrets as YEntity).get(key) : undefined;
  if (!(entry instanceof Y.Map) || !signatureOr(signature)) return false;
  const signatures = childMap<string>(entry as YEntity, 'signatures');
  if (signatures.get(viberId) !== signature) signatures.set(viberId, signature);
  return true;
}

function applyVars(map: YEntity, vars: Record<string, string | null>): void {
  const target = childMap<string>(map, 'vars');
  for (const [key, value] of Object.entries(vars)) {
    if (value === null) target.delete(key);
    else if (target.get(key) !== value) target.set(key, value);
  }
}

function applySecrets(map: YEntity, secrets: Record<string, SealedSecretInput | null>, now: number): void {
  const target = childMap<unknown>(map, 'secrets');
  for (const [key, secret] of Object.entries(secrets)) {
    if (secret === null) {
      target.delete(key);
      continue;
    }
    // A replaced value replaces every ciphertext: old ones would open to the old value.
    const entry = new Y.Map<unknown>();
    target.set(key, entry);
    entry.set('scope', secret.scope);
    entry.set('updatedAt', now);
    const sealed = new Y.Map<string>();
    entry.set('sealed', sealed);
    for (const [viberId, box] of Object.entries(secret.sealed)) sealed.set(viberId, box);
    const signatures = new Y.Map<string>();
    entry.set('signatures', signatures);
    for (const [viberId, signature] of Object.entries(secret.signatures ?? {}))
      if (secret.sealed[viberId]) signatures.set(viberId, signature);
  }
}

/** Adds one Viber's ciphertext of an existing secret (re-seal), leaving the value's updatedAt alone. */
export function addSealedCopy(doc: Y.Doc, envId: string, key: string, viberId: string, box: string): boolean {
  const env = environmentsMap(doc).get(envId);
  const secret = env instanceof Y.Map ? (env as YEntity).get('secrets') : undefined;
  const entry = secret instanceof Y.Map ? (secret as YEntity).get(key) : undefined;
  if (!(entry instanceof Y.Map) || !sealedBoxSchema.safeParse(box).success) return false;
  const sealed = childMap<string>(entry as YEntity, 'sealed');
  if (sealed.get(viberId) !== box) {
    sealed.set(viberId, box);
    // A signature over another ciphertext must not be left to vouch for this one ([T6]).
    const signatures = (entry as YEntity).get('signatures');
    if (signatures instanceof Y.Map) signatures.delete(viberId);
  }
  return true;
}

/** Removes every ciphertext sealed to `viberId` (the Viber was removed). */
export function removeSealedCopies(doc: Y.Doc, viberId: string): void {
  for (const [, env] of entityMaps(environmentsMap(doc))) {
    const secrets = env.get('secrets');
    if (!(secrets instanceof Y.Map)) continue;
    for (const [, entry] of entityMaps(secrets)) {
      const sealed = entry.get('sealed');
      if (sealed instanceof Y.Map && sealed.has(viberId)) sealed.delete(viberId);
      const signatures = entry.get('signatures');
      if (signatures instanceof Y.Map && signatures.has(viberId)) signatures.delete(viberId);
    }
  }
}

/** Deletes the environment entry only; `removeEnvironmentCascade` also deletes its bindings and tasks. */
export function deleteEnvironment(doc: Y.Doc, id: string): boolean {
  if (!environmentsMap(doc).has(id)) return false;
  doc.transact(() => {
    environmentsMap(doc).delete(id);
    recordDeletion(doc, DeletedKind.environment, id);
  });
  return true;
}

/** What the API returns for an environment: secrets by key with scope, updatedAt and sealedFor, never ciphertext. */
export function environmentView(env: Environment) {
  const { secrets, problems, ...rest } = env;
  return {
    ...rest,
    secrets: Object.fromEntries(
      Object.entries(secrets).map(([key, s]) => [
        key,
        { scope: s.scope, updatedAt: s.updatedAt, sealedFor: Object.keys(s.sealed) },
      ]),
    ),
    ...(problems.length ? { problems } : {}),
  };
}
