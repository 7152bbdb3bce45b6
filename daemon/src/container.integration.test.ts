// The runner's container path against a real engine (podman with runc, as on this project's CI).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { MAX_RUN_PROCESSES } from './limits.ts';
import { killOrphanRuns, readRunRecords } from './run-records.ts';
import { bashScript } from './sandbox.ts';
import { runContainerName } from './task-runner.ts';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';
import { useServer } from '../test/test-server.ts';
import { containersNamed, tinyImage } from '../test/tiny-image.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'container-secret-0123456789';

// One image for the file (its afterAll removes it after every describe has run).
const image = tinyImage();

describe('containers through a real engine', () => {
  const runner = testRunner({ capabilities: { container: 'podman' } });

  const start = (name: string, script: string, signal?: AbortSignal) => {
    let output = '';
    const run = runner.run({
      label: `task ${name}`,
      command: bashScript(script),
      policy: { network: false, containerImage: image },
      containerName: name,
      cwd: runner.root,
      env: { ...process.env, API_TOKEN: SECRET },
      containerEnvKeys: ['API_TOKEN'],
      redactor: new Redactor([{ name: 'API_TOKEN', value: SECRET }]),
      onOutput: (t) => (output += t),
      signal,
      graceMs: 500,
    });
    return { run, output: () => output };
  };

  it('runs in the image with the working directory, secrets by name (redacted), no network, and an init', async () => {
    const { run, output } = start(
      'viber-test-plain',
      'echo "token=$API_TOKEN"; echo made > made.txt; ls /sys/class/net; cat /proc/1/cmdline | tr "\\0" " "',
    );
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(output()).toContain('token=[REDACTED:API_TOKEN]');
    expect(output()).not.toContain(SECRET);
    expect(output()).toMatch(/^lo$/m); // --network none: loopback only
    expect(output()).toContain('init');
    expect(readFileSync(join(runner.root, 'made.txt'), 'utf8')).toBe('made\n');
    expect(containersNamed('viber-test-plain')).toEqual([]);
  });

  it('[R3a] a container has MAX_RUN_PROCESSES as its rlimit and, run by root, as its pids cgroup limit', async () => {
    const { run, output } = start(
      'viber-test-pids',
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; ulimit -u',
    );
    expect((await run).exitCode, output()).toBe(0);
    const [pidsMax, rlimit] = output().trim().split('\n');
    expect(rlimit).toBe(String(MAX_RUN_PROCESSES));
    // Run by root, `ulimit -u` binds nothing in the container: its pids cgroup does (without
    // --pids-limit, podman's default 2048; docker's none). A rootless engine's containers are the user's.
    if (process.getuid?.() === 0) expect(pidsMax).toBe(String(MAX_RUN_PROCESSES));
  });

  it('[R3] a working directory that holds $VIBER_HOME: the container sees the home empty, other environments’ checkouts too', async () => {
    const parent = tempDir('viber-parent-');
    const home = join(parent, 'home');
    mkdirSync(join(home, 'workspaces', 'checkouts', 'b-other'), { recursive: true });
    writeFileSync(join(home, 'config.json'), SECRET.split('').reverse().join(''));
    const wide = testRunner({ home, capabilities: { container: 'podman' } });
    let output = '';
    const result = await wide.run({
      label: 'wide',
      command: bashScript(
        `cat home/config.json || true; echo "home holds: [$(ls -A home)]"; echo w > home/workspaces/checkouts/b-other/seen || echo cannot-write; echo w > mine`,
      ),
      policy: { network: false, containerImage: image },
      cwd: parent,
      reach: [parent],
      env: process.env,
      onOutput: (t) => (output += t),
    });
    expect(result.exitCode).toBe(0);
    expect(output).not.toContain(SECRET.split('').reverse().join(''));
    expect(output).toContain('home holds: []');
    expect(output).toContain('cannot-write');
    expect(existsSync(join(home, 'workspaces', 'checkouts', 'b-other', 'seen'))).toBe(false);
    expect(readFileSync(join(parent, 'mine'), 'utf8')).toBe('w\n');
  });

  it('a cancel stops the run and removes its container before the run returns', async () => {
    const controller = new AbortController();
    const { run, output } = start('viber-test-cancel', 'echo up; sleep 1000', controller.signal);
    await waitFor(() => output().includes('up'));
    expect(containersNamed('viber-test-cancel')).toEqual(['viber-test-cancel']);
    controller.abort();
    expect((await run).cancelled).toBe(true);
    expect(containersNamed('viber-test-cancel')).toEqual([]);
  });

  it('[R2] the container of a hard-killed daemon (the engine keeps it running) is removed by the orphan cleanup', async () => {
    const { run, output } = start('viber-test-orphan', 'echo up; sleep 1000');
    await waitFor(() => output().includes('up'));
    await waitFor(() => readRunRecords(runner.stateDir).find((r) => r.pgid));
    expect(await killOrphanRuns(runner.stateDir)).toEqual(['task viber-test-orphan']);
    expect(containersNamed('viber-test-orphan')).toEqual([]);
    await run;
    expect(existsSync(join(runner.stateDir, 'running'))).toBe(true);
    expect(readRunRecords(runner.stateDir)).toEqual([]);
  });
});

describe('a container task through a real daemon', async () => {
  const server = await useServer();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '60000' });

  it('[R2] kill -9 of the daemon while a container task runs: the engine keeps the container, the restart removes it', async () => {
    const repo = makeRepo({ 'README.md': 'x' });
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      containerImage: image,
      networkAccess: false,
    });
    expect((await s.prepared(bindingId)).state).toBe('ready');
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, 'echo up; sleep 1000');
    await waitFor(async () => (await s.run(taskId, msg))?.output.includes('up'));
    const name = runContainerName(taskId, msg);
    expect(containersNamed(name)).toEqual([name]);
    await s.viber.kill();
    expect(containersNamed(name)).toEqual([name]);
    s.viber.start();
    expect(await s.runState(taskId, msg, ['interrupted', 'completed', 'error', 'cancelled'])).toMatchObject({
      state: 'interrupted',
    });
    expect(containersNamed(name)).toEqual([]);
    expect(s.viber.output()).toContain(`stopped what a previous run left running: task ${taskId}`);
  });

  it('[R2] two tasks whose messages share a caller-chosen id run side by side, each in its own container', async () => {
    const repo = makeRepo({ 'README.md': 'x' });
    const { envId, bindingId } = await s.environment({ repoUrl: repo.url, containerImage: image });
    expect((await s.prepared(bindingId)).state).toBe('ready');
    const tasks = [await s.task(envId), await s.task(envId)];
    // The API takes a script's own message id, new within its task only ([T4]).
    for (const [i, taskId] of tasks.entries())
      await s.api('POST', `/api/tasks/${taskId}/messages`, {
        text: `echo started-${i}; sleep 2; echo done-${i}`,
        messageId: 'step-1',
      });
    for (const [i, taskId] of tasks.entries()) {
      const run = await s.runState(taskId, 'step-1', ['completed', 'error', 'interrupted', 'cancelled']);
      expect(run, `task ${i}: ${run.output}`).toMatchObject({ state: 'completed', exitCode: 0 });
      expect(run.output).toContain(`done-${i}`);
    }
  });

  it('[R2] a graceful stop (SIGTERM) of the daemon while a container ignores SIGTERM: the container is gone when the daemon has exited', async () => {
    const repo = makeRepo({ 'README.md': 'x' });
    const { envId, bindingId } = await s.environment({ repoUrl: repo.url, containerImage: image });
    expect((await s.prepared(bindingId)).state).toBe('ready');
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, "trap '' TERM; echo up; while :; do sleep 1; done");
    await waitFor(async () => (await s.run(taskId, msg))?.output.includes('up'));
    const name = runContainerName(taskId, msg);
    expect(containersNamed(name)).toEqual([name]);
    await s.viber.stop();
    // Its secrets are in its environment: it must not run on until the next `viber start`.
    await waitFor(() => containersNamed(name).length === 0, {
      what: 'the container to be removed',
      timeoutMs: 15_000,
    });
    s.viber.start();
  });
});
