// The hash of what a prepare depends on; a binding whose prepared hash differs is shown "stale".
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Binding } from './workspace-bindings.ts';
import type { Environment } from './workspace-environments.ts';

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
    env.type,
    env.repoUrl,
    env.repoBranch,
    env.localPath,
    env.containerImage,
    env.workingDir,
    env.setupMode,
    env.setupScript,
    env.maintenanceScript,
    sortedEntries(env.vars),
    sortedEntries(env.secrets).map(([key, s]) => [key, s.scope, s.updatedAt]),
    binding ? [binding.strategy, binding.existingPath] : null,
  ];
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(spec)))).slice(0, 32);
}
