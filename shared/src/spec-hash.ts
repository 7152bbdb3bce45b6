// The hash of what a prepare depends on; a binding whose prepared hash differs is shown "stale".
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Binding } from './workspace-bindings.ts';
import type { Environment } from './workspace-environments.ts';

/**
 * The environment's scalar fields a prepare depends on, in hash order (vars and secrets are hashed
 * after them). The one list every process uses: the hash here, the daemon's refusal to prepare from
 * a field a peer stored with the wrong shape. Append new fields at the end: reordering changes every
 * hash, and every prepared binding would show stale.
 */
export const PREPARE_FIELDS = [
  'type',
  'repoUrl',
  'repoBranch',
  'localPath',
  'containerImage',
  'workingDir',
  'setupMode',
  'setupScript',
  'maintenanceScript',
] as const satisfies readonly (keyof Environment)[];
export type PrepareField = (typeof PREPARE_FIELDS)[number];

const sortedEntries = <T>(record: Record<string, T>) =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Hashes the environment fields a prepare uses (not its name, description, task policy or pin),
 * and each secret's key, scope and updatedAt (the ciphertexts differ per Viber, the value does not).
 */
export function environmentSpecHash(
  env: Environment,
  binding?: Pick<Binding, 'strategy' | 'existingPath'>,
): string {
  const spec = [
    ...PREPARE_FIELDS.map((field) => env[field]),
    sortedEntries(env.vars),
    sortedEntries(env.secrets).map(([key, s]) => [key, s.scope, s.updatedAt]),
    binding ? [binding.strategy, binding.existingPath] : null,
  ];
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(spec)))).slice(0, 32);
}
