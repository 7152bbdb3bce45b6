// Task workspaces in containers on a real engine (podman with runc): the seeded worktree is what the
// container sees, package-manager caches live in a per-environment volume (removed with the
// environment), and an image without bash is refused at prepare with the shell named.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readHealth, writeHealth } from '@openviber/shared';
import { removeCacheVolumes } from './cache-volumes.ts';
import { checkContainerImage } from './container-check.ts';
import { bashScript, cacheVolumeName } from './sandbox.ts';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { testRunner } from '../test/test-runner.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';
import { tinyImage } from '../test/tiny-image.ts';
import { tempDir } from '../test/temp-dir.ts';

const image = tinyImage();
const noBash = tinyImage('podman', { bash: false });
const volumes: string[] = [];
const volumeExists = (name: string) => {
  try {
    execFileSync('podman', ['volume', 'exists', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
afterAll(() => {
  for (const v of volumes) execFileSync('podman', ['volume', 'rm', '-f', v], { stdio: 'ignore' });
});

describe('container checks and caches', () => {
  const runner = testRunner({ capabilities: { container: 'podman' } });

  it('[A1] an image without bash is refused with the missing shell named (not catatonit’s "failed to exec pid1")', async () => {
    await expect(checkContainerImage(runner, noBash, runner.root)).rejects.toThrow(/has no bash/);
    await expect(checkContainerImage(runner, image, runner.root)).resolves.toBeUndefined();
  });

  it('[A1] the engine is probed again at each check: a runner that lost it finds it again, and its health says so', async () => {
    const stale = testRunner({ capabilities: { container: '' } });
    const viberDoc = new Y.Doc();
    writeHealth(viberDoc, {
      version: '1',
      hostname: 'h',
      platform: 'p',
      startedAt: 1,
      workspaceRoot: stale.root,
      capabilities: { ...stale.capabilities },
    });
    await checkContainerImage(stale, image, stale.root, undefined, viberDoc);
    expect(stale.capabilities.container).toBe('podman');
    expect(readHealth(viberDoc)?.capabilities.container).toBe('podman');
  });

  it('[A1] the package-manager cache survives the container in the environment’s volume', async () => {
    const volume = cacheVolumeName(`test${process.pid}`);
    volumes.push(volume);
    const run = async (script: string) => {
      let output = '';
      const result = await runner.run({
        label: 'cache',
        command: bashScript(script),
        policy: { network: false, containerImage: image, cacheVolume: volume },
        cwd: runner.root,
        env: process.env,
        onOutput: (t) => (output += t),
      });
      expect(result.exitCode).toBe(0);
      return output;
    };
    await run('mkdir -p "$npm_config_cache" && echo cached > "$npm_config_cache/entry"');
    expect(await run('cat "$npm_config_cache/entry"; echo "$npm_config_cache"')).toBe(
      'cached\n/var/cache/openviber/npm\n',
    );
  });
});

describe('containers of one environment started at once', () => {
  it('[A1] share their new cache volume: none fails with "volume already exists", also after the volume was removed', async () => {
    // The engine makes a missing `-v` volume inside `run`: check, then create. Two runs at once both
    // find it missing, and the second create fails (seen in CI under load: exit 125). This podman
    // widens that window to 300 ms so the race is certain whenever the runner leaves it open.
    const bin = tempDir();
    const engine = join(bin, 'podman');
    writeFileSync(
      engine,
      [
        '#!/bin/bash',
        'if [ "$1" = run ]; then',
        '  for a in "$@"; do case $a in viber-cache-*:*) v=${a%%:*};; esac; done',
        '  if [ -n "$v" ] && ! podman volume exists "$v"; then',
        '    sleep 0.3; podman volume create "$v" >/dev/null || exit 125',
        '  fi',
        'fi',
        'exec podman "$@"',
      ].join('\n'),
      { mode: 0o755 },
    );
    const runner = testRunner({ capabilities: { container: engine } });
    const id = `race${process.pid}`;
    const volume = cacheVolumeName(id);
    volumes.push(volume);
    const together = async (n: number) => {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          runner.run({
            label: `race ${i}`,
            command: bashScript(
              `mkdir -p "$npm_config_cache" && echo run-${i} > "$npm_config_cache/run-${i}"`,
            ),
            policy: { network: false, containerImage: image, cacheVolume: volume },
            cwd: runner.root,
            env: process.env,
          }),
        ),
      );
      return results.map((r) => [r.exitCode, r.tail.trim()]);
    };
    expect(await together(4)).toEqual(Array(4).fill([0, '']));
    expect(volumeExists(volume)).toBe(true);
    // Removed with its environment (through the runner): the next runs make it again, together.
    expect(await removeCacheVolumes(runner, runner.root, new Set([id]))).toEqual([volume]);
    expect(await together(3)).toEqual(Array(3).fill([0, '']));
    expect(volumeExists(volume)).toBe(true);
  });
});

describe('cache volumes of deleted environments', () => {
  it('[V5] are removed through the runner (outside the key sandbox) by the probed engine; others stay, a missing one is no error', async () => {
    const runner = testRunner({ capabilities: { container: 'podman' } });
    expect(runner.capabilities.hidesKeys).toBe(true); // podman cannot run inside bubblewrap
    const [gone, kept] = [`gone${process.pid}`, `kept${process.pid}`];
    volumes.push(cacheVolumeName(gone), cacheVolumeName(kept));
    for (const id of [gone, kept])
      execFileSync('podman', ['volume', 'create', cacheVolumeName(id)], { stdio: 'ignore' });
    const removed = await removeCacheVolumes(runner, runner.root, new Set([gone, `never${process.pid}`]));
    expect(removed).toEqual([cacheVolumeName(gone)]);
    expect(volumeExists(cacheVolumeName(gone))).toBe(false);
    expect(volumeExists(cacheVolumeName(kept))).toBe(true);
    await expect(removeCacheVolumes(runner, runner.root, new Set([gone]))).resolves.toEqual([]);
  });
});

describe('a container environment without a persistent volume, through a real daemon', async () => {
  const server = await useServer();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '60000' });

  it('[A1] setup output (ignored by git) and the npm cache reach a task’s container in its fresh worktree', async () => {
    const repo = makeRepo({ '.gitignore': 'node_modules/\n', 'README.md': 'x\n' });
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      containerImage: image,
      persistVolume: false,
      setupScript:
        'mkdir -p node_modules/dep "$npm_config_cache" && echo "module.exports = 42;" > node_modules/dep/index.js && echo warm > "$npm_config_cache/warm"',
    });
    volumes.push(cacheVolumeName(envId));
    expect((await s.prepared(bindingId)).state).toBe('ready');
    const taskId = await s.task(envId);
    const msg = await s.send(
      taskId,
      'cat node_modules/dep/index.js; cat "$npm_config_cache/warm"; echo "$OPENVIBER_TASK_ID"',
    );
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.output).toContain('module.exports = 42;');
    expect(run.output).toContain('warm');
    expect(run.output).toContain(taskId);
    expect(run.state).toBe('completed');
  });

  it('[V5] deleting an environment removes its cache volume from the engine; another environment’s stays', async () => {
    const repo = makeRepo({ 'README.md': 'x\n' });
    const fields = {
      repoUrl: repo.url,
      containerImage: image,
      setupScript: 'mkdir -p "$npm_config_cache" && echo warm > "$npm_config_cache/warm"',
    };
    const deleted = await s.environment(fields);
    const kept = await s.environment(fields);
    volumes.push(cacheVolumeName(deleted.envId), cacheVolumeName(kept.envId));
    expect((await s.prepared(deleted.bindingId)).state).toBe('ready');
    expect((await s.prepared(kept.bindingId)).state).toBe('ready');
    expect(volumeExists(cacheVolumeName(deleted.envId))).toBe(true);

    await s.api('DELETE', `/api/environments/${deleted.envId}`);
    await waitFor(() => !volumeExists(cacheVolumeName(deleted.envId)), {
      what: `the volume ${cacheVolumeName(deleted.envId)} to be removed`,
    });
    expect(volumeExists(cacheVolumeName(kept.envId))).toBe(true);
  });

  it('[A1] an environment whose image has no bash fails its prepare naming the missing shell', async () => {
    const repo = makeRepo({ 'README.md': 'x\n' });
    const { bindingId } = await s.environment({ repoUrl: repo.url, containerImage: noBash });
    const observation = await s.prepared(bindingId);
    expect(observation.state).toBe('error');
    expect(observation.lastError).toContain(`the container image '${noBash}' has no bash`);
  });
});
