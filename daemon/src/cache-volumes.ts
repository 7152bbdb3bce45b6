// A container environment keeps its package caches in the engine volume `viber-cache-<envId>` ([A1]).
// When the workspace's deletions log names the environment, the volume goes too ([V5]): one listing
// and one removal through the runner, with the engine this Viber probed. Only an explicit deletion
// entry counts: volumes live on the engine, which other Vibers on this machine (other users) share,
// so a volume whose environment is merely absent from our workspace may not be ours to remove.
import type { Runner } from './runner.ts';
import { CACHE_VOLUME_PREFIX } from './sandbox.ts';
import { ViberError } from './viber-error.ts';

const ENGINE_TIMEOUT_MS = 60_000;

/**
 * Removes the cache volumes of `deletedEnvironments` that the engine holds; returns their names.
 * Nothing to do without an engine. Throws a ViberError when the engine does not answer.
 */
export async function removeCacheVolumes(
  runner: Runner,
  cwd: string,
  deletedEnvironments: ReadonlySet<string>,
): Promise<string[]> {
  const engine = runner.capabilities.container;
  if (!engine || deletedEnvironments.size === 0) return [];
  const run = (label: string, args: string[]) =>
    runner.run({
      label,
      command: { command: engine, args },
      engine: true,
      cwd,
      env: process.env,
      timeoutMs: ENGINE_TIMEOUT_MS,
      captureStdout: true,
    });
  const listed = await run('cache volumes', [
    'volume',
    'ls',
    '--quiet',
    '--filter',
    `name=${CACHE_VOLUME_PREFIX}`,
  ]);
  if (listed.exitCode !== 0)
    throw new ViberError('engine_failed', `${engine} volume ls failed: ${listed.spawnError || listed.tail}`);
  const names = listed.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (name) =>
        name.startsWith(CACHE_VOLUME_PREFIX) &&
        deletedEnvironments.has(name.slice(CACHE_VOLUME_PREFIX.length)),
    );
  if (names.length === 0) return [];
  const removed = await run('remove cache volumes', ['volume', 'rm', '--force', ...names]);
  // Gone meanwhile (removed by hand, or by another pass) is what we wanted.
  if (removed.exitCode !== 0 && !/no such volume/i.test(removed.tail))
    throw new ViberError(
      'engine_failed',
      `${engine} volume rm failed: ${removed.spawnError || removed.tail}`,
    );
  return names;
}
