// [R3b] When a run fills the memory it may use, the kernel kills one of the run's processes, not the
// Viber nor the user's other programs. A real out-of-memory kill: as root, a memory cgroup of 500 MB
// holds a stand-in Viber (the real runner, daemon/test/oom-scene.ts), a bystander program holding
// 200 MB — the largest process, which the kernel would otherwise pick — and the run, whose processes
// hold 60 MB each. Anyone: a run's processes carry the score adjustment.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_OOM_SCORE_ADJ } from './limits.ts';
import { cgroupHierarchy, removeCgroup } from './run-cgroups.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const root = process.getuid?.() === 0;
const SCENE = new URL('../test/oom-scene.ts', import.meta.url).pathname;
const MB = 1 << 20;

/** A process that holds `mb` MB (written, so counted) for `seconds`, then prints "ok". */
const holder = (mb: number, seconds: number) =>
  `python3 -c 'import time; b = b"x" * (${mb} << 20); time.sleep(${seconds}); print("ok", flush=True)'`;

/** A memory cgroup for this test with `limit` bytes, or null where this machine has none to make. */
function memoryCgroup(limit: number): { dir: string; join: string; remove(): Promise<void> } | null {
  if (!root) return null;
  const at = cgroupHierarchy(
    'memory',
    readFileSync('/proc/self/mountinfo', 'utf8'),
    readFileSync('/proc/self/cgroup', 'utf8'),
  );
  if (!at) return null;
  if (at.version === 2) {
    if (!readFileSync(join(at.parent, 'cgroup.controllers'), 'utf8').split(/\s/).includes('memory'))
      return null;
    writeFileSync(join(at.parent, 'cgroup.subtree_control'), '+memory');
  }
  const dir = join(at.parent, `viber-oom-test-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(join(dir, at.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limit));
  if (at.version === 2) writeFileSync(join(dir, 'memory.swap.max'), '0');
  return {
    dir,
    join: join(dir, 'cgroup.procs'),
    async remove() {
      await removeCgroup(dir);
    },
  };
}

/** Starts `command` inside the cgroup whose cgroup.procs is `procs`; its output and end. */
function inCgroup(procs: string, command: string[]) {
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, ended, stdout: () => stdout, stderr: () => stderr };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0)) await clean();
});

describe('[R3b] a run is the kernel’s first choice when memory runs out', () => {
  it('a run’s processes carry the score adjustment', async () => {
    const runner = testRunner();
    const r = await runner.run({
      label: 'setup',
      command: {
        command: 'bash',
        args: ['-c', 'cat /proc/self/oom_score_adj; sleep 0.1 & cat /proc/$!/oom_score_adj'],
      },
      policy: { network: true, containerImage: '' },
      cwd: runner.root,
      env: process.env,
      captureStdout: true,
    });
    // The run's shell and what it starts; the daemon keeps its own (0).
    expect(r.stdout.trim().split('\n')).toEqual([String(RUN_OOM_SCORE_ADJ), String(RUN_OOM_SCORE_ADJ)]);
    expect(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()).toBe('0');
  });

  it('a run filling its memory loses its own process; the Viber and a larger bystander live on', async () => {
    const cgroup = memoryCgroup(500 * MB);
    if (!cgroup) {
      // Not root, or no memory controller here: the adjustment above is what there is to check.
      expect(root && existsSync('/sys/fs/cgroup/memory')).toBe(false);
      return;
    }
    cleanups.push(() => cgroup.remove());
    const bystander = inCgroup(cgroup.join, ['bash', '-c', `exec ${holder(200, 30)}`]);
    // The bystander holds its 200 MB before the run starts.
    await expect
      .poll(
        () =>
          Number(
            /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${bystander.child.pid}/status`, 'utf8'))?.[1] ?? 0,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(190 * 1024);
    const viber = inCgroup(cgroup.join, [
      process.execPath,
      SCENE,
      // Six processes of 60 MB, one after the other: the fourth does not fit.
      `for i in 1 2 3 4 5 6; do ${holder(60, 4)} & sleep 0.3; done; wait`,
      tempDir('viber-oom-'),
    ]);
    const ended = await viber.ended;
    expect(ended, viber.stderr()).toEqual({ code: 0, signal: null });
    const result = JSON.parse(viber.stdout().trim().split('\n').at(-1)!) as { output: string };
    // Some of the run's processes were killed: fewer than six said "ok".
    const survived = result.output.split('\n').filter((line) => line === 'ok').length;
    expect(survived).toBeLessThan(6);
    // The bystander, the largest process in the cgroup, was not.
    expect(bystander.child.exitCode).toBeNull();
    expect(bystander.child.signalCode).toBeNull();
  });
});
