// [R3a] A run in bubblewrap has a process limit of its own: a fork bomb in one environment's setup
// stops there, and neither the user's other processes nor other runs count against it. Real
// bubblewrap, run as an unprivileged user with the very arguments the runner uses (RLIMIT_NPROC,
// which the kernel never applies to root), and through the runner as whoever runs the tests: as
// root, a pids cgroup per run (run-cgroups.ts) where this machine has one.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer } from '../../sync-server/testing/spawn-server.ts';
import { boundViber } from '../test/bound-viber.ts';
import { waitFor } from '../test/wait-for.ts';
import { pidsHierarchy, probeRunCgroups } from './run-cgroups.ts';
import { probeSucceeds } from './runner.ts';
import { hideHomeArgs } from './sandbox.ts';
import { probedRunner } from '../test/probed-runner.ts';

interface Ran {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}
type Running = Promise<Ran> & { kill: () => void };

/** Runs a command to its end, its output collected; `kill()` SIGKILLs it. */
function run(command: string, args: string[]): Running {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
  return Object.assign(done, { kill: () => void child.kill('SIGKILL') });
}

// As root, the runs here drop to `nobody`; as anyone else, they run as that user.
const NOBODY = 65534;
const root = process.getuid?.() === 0;
const uid = root ? NOBODY : (process.getuid?.() ?? NOBODY);
const asUser = (command: string, args: string[]) =>
  root
    ? run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', command, ...args])
    : run(command, args);

/** Forks up to `tries` sleepers (`sleep <seconds>`), stops at the first refused fork, says how many ran. */
const forker = (tries: number, seconds: number) => [
  'perl',
  '-e',
  `my $n = 0; for (1..${tries}) { my $p = fork; if (!defined $p) { print "refused: $!\\n"; last } if ($p == 0) { exec "sleep", "${seconds}" } $n++ } print "started $n\\n"`,
];

/** The forker ran to its end, refused a fork, and had started more than 50 but fewer than `limit`. */
function expectStoppedBelow(limit: number, r: { exitCode: number | null; stdout: string }) {
  expect(r.exitCode, r.stdout).toBe(0);
  expect(r.stdout).toMatch(/^refused: Resource temporarily unavailable$/m);
  const started = Number(/started (\d+)/.exec(r.stdout)?.[1]);
  expect(started).toBeLessThan(limit);
  expect(started).toBeGreaterThan(50);
}

/** Processes of `uid` now running `sleep <seconds>` (the duration tells whose they are). */
async function sleepers(seconds: number): Promise<number> {
  const r = await run('pgrep', ['-c', '-u', String(uid), '-f', `^sleep ${seconds}$`]);
  return Number(r.stdout.trim() || 0);
}

let home: string;
const running: Running[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) p.kill();
  await run('pkill', ['-KILL', '-u', String(uid), '-f', '^sleep (41|42|43)$']);
  rmSync(home, { recursive: true, force: true });
});

function sandbox(maxProcesses: number) {
  home = mkdtempSync(join(tmpdir(), 'viber-nproc-'));
  const workspaces = join(home, 'workspaces');
  const checkout = join(workspaces, 'checkouts', 'b1');
  mkdirSync(checkout, { recursive: true });
  for (const dir of [home, workspaces, join(workspaces, 'checkouts'), checkout]) chmodSync(dir, 0o777);
  return (command: string[]) =>
    asUser('bwrap', [...hideHomeArgs(home, [checkout], checkout, maxProcesses), ...command]);
}

describe('[R3a] a bubblewrap run has its own process limit', () => {
  it('stops a run at its limit, counting neither the user’s other processes nor another run', async () => {
    const run = sandbox(64);
    // The user already runs more processes than the limit, outside any sandbox...
    running.push(asUser('bash', ['-c', 'for i in $(seq 100); do sleep 41 & done; wait']));
    await expect.poll(() => sleepers(41), { timeout: 10_000 }).toBe(100);
    // ...and another run is at its own limit.
    const other = run([
      'bash',
      '-c',
      `${forker(300, 42)
        .map((a) => `'${a}'`)
        .join(' ')}; sleep 30`,
    ]);
    running.push(other);
    await expect.poll(() => sleepers(42), { timeout: 10_000 }).toBeGreaterThan(50);

    // The limit counts this run's processes (its shell and perl among them), nothing else.
    expectStoppedBelow(64, await run(forker(300, 43)));
    // Nothing it started outlives it: the pid namespace dies with the run.
    await expect.poll(() => sleepers(43), { timeout: 5_000 }).toBe(0);
    // The user's own processes were never refused.
    expect(await sleepers(41)).toBe(100);
  });

  it('cannot be raised from inside the run', async () => {
    const run = sandbox(64);
    const r = await run(['bash', '-c', 'ulimit -u; ulimit -u 5000 2>/dev/null && echo raised || echo kept']);
    expect(r.stdout.trim().split('\n')).toEqual(['64', 'kept']);
  });

  it('a Viber says at start where a root run’s process limit comes from', async () => {
    const server = await spawnServer();
    const { viber } = await boundViber(server.url, 'root-note');
    try {
      viber.start();
      await waitFor(() => viber.output().includes('synced with the server'), { what: 'the Viber to start' });
      await waitFor(() => viber.output().includes('capabilities:'), { what: 'its capabilities' });
      const limited =
        /running as root: each setup and task in bubblewrap gets a pids cgroup of its own under \S+, limited to MAX_RUN_PROCESSES \(4096\) processes/;
      const unlimited = /running as root: setups and tasks in bubblewrap have no process limit/;
      if (root && /hidesKeys=true/.test(viber.output())) {
        await waitFor(() => /running as root/.test(viber.output()), {
          what: 'the note on its process limit',
        });
        expect(viber.output()).toMatch(cgroupsHere() ? limited : unlimited);
      } else expect(viber.output()).not.toMatch(/running as root/);
    } finally {
      await viber.stop();
      await server.dispose();
    }
  });
});

/** Whether this machine has a pids controller mounted (as a root Viber would find it). */
const cgroupsHere = () =>
  pidsHierarchy(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8')) !==
  null;

describe('[R3a] the runner’s runs have their process limit, whoever the Viber runs as', () => {
  const runnerAt = async (maxRunProcesses: number) => {
    home = mkdtempSync(join(tmpdir(), 'viber-nproc-runner-'));
    const root = join(home, 'workspaces');
    mkdirSync(join(root, 'checkouts', 'b1'), { recursive: true });
    const runner = await probedRunner(home, root, { maxRunProcesses });
    const cwd = join(root, 'checkouts', 'b1');
    const exec = (args: string[], signal?: AbortSignal) =>
      runner.run({
        label: 'setup',
        command: { command: args[0]!, args: args.slice(1) },
        policy: { network: true, containerImage: '' },
        cwd,
        env: process.env,
        captureStdout: true,
        signal,
      });
    return { runner, exec };
  };

  it('stops a fork bomb at the limit; as root, in a pids cgroup the run cannot leave, removed after it', async () => {
    const { runner, exec } = await runnerAt(64);
    if (!runner.capabilities.hidesKeys) throw new Error('this test needs bubblewrap (the CI installs it)');
    const base = await runner.rootProcessLimit();
    if (root && cgroupsHere()) expect(base).toMatch(/\/openviber-[0-9a-f]{12}$/);
    if (!root) expect(base).toBeNull();

    // Another run holds more than 50 processes meanwhile: one run's do not count against another's.
    const stop = new AbortController();
    const quoted = forker(300, 42).map((a) => `'${a}'`);
    const other = exec(['bash', '-c', `${quoted.join(' ')}; sleep 30`], stop.signal);
    await expect.poll(() => pgrepCount('^sleep 42$'), { timeout: 10_000 }).toBeGreaterThan(50);

    expectStoppedBelow(64, await exec(forker(300, 43)));
    // Nothing it started outlives it, nor the other run's once that is cancelled.
    await expect.poll(() => pgrepCount('^sleep 43$'), { timeout: 5_000 }).toBe(0);
    stop.abort();
    expect((await other).cancelled).toBe(true);
    await expect.poll(() => pgrepCount('^sleep 42$'), { timeout: 5_000 }).toBe(0);

    if (base) {
      // The run is in its own cgroup with the limit, and cannot move itself out: /sys is read-only.
      const inside = await exec([
        'sh',
        '-c',
        'grep -E "^[0-9]+:([^:]*,)?pids(,[^:]*)?:|^0::" /proc/self/cgroup | head -1; cat /sys/fs/cgroup/pids/$(grep -E "^[0-9]+:([^:]*,)?pids" /proc/self/cgroup | cut -d: -f3)/pids.max 2>/dev/null; echo $$ > "$0/../cgroup.procs" && echo escaped || echo stayed',
        base,
      ]);
      expect(inside.stdout).toMatch(/\/openviber-[0-9a-f]{12}\/run-[0-9a-f-]+\n/);
      expect(inside.stdout.trim().split('\n').at(-1)).toBe('stayed');
      expect(inside.tail).toMatch(/Read-only file system/);
      // Each run's cgroup is gone once the run is, and the folder with the last of them.
      expect(existsSync(base)).toBe(false);
    }
  });

  it('200 runs, 10 at a time, each with its own limit, leave no cgroup behind', async () => {
    const { runner, exec } = await runnerAt(64);
    const base = await runner.rootProcessLimit();
    const cgroups = new Set<string>();
    const results: { exitCode: number | null; stdout: string; tail: string }[] = [];
    for (let batch = 0; batch < 20; batch++)
      results.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, () =>
            exec([
              'bash',
              '-c',
              'grep -m1 -E "^[0-9]+:([^:]*,)?pids(,[^:]*)?:|^0::" /proc/self/cgroup; ulimit -u',
            ]),
          ),
        )),
      );
    for (const r of results) {
      expect(r.exitCode, r.tail).toBe(0);
      cgroups.add(r.stdout.split('\n')[0]!);
    }
    if (base) {
      // As root: 200 cgroups, one per run (the kernel's limit is the cgroup's, not `ulimit -u`)...
      expect(cgroups.size).toBe(200);
      // ...and none left, nor the folder they were in.
      expect(existsSync(base)).toBe(false);
    } else {
      expect(new Set(results.map((r) => r.stdout.split('\n')[1]))).toEqual(new Set(['64']));
    }
  });

  it('as root, removes the run cgroups a killed Viber left, and what still ran in them', async () => {
    if (!root || !cgroupsHere()) {
      // Not root, or no pids controller: no cgroup is made (not root: the kernel's RLIMIT_NPROC holds).
      expect(await probeRunCgroups('/nowhere', probeSucceeds)).toBeNull();
      return;
    }
    home = mkdtempSync(join(tmpdir(), 'viber-nproc-stale-'));
    const first = await probeRunCgroups(home, probeSucceeds);
    expect(first).not.toBeNull();
    // What a daemon killed with -9 leaves: a run's cgroup with a process still in it.
    const left = first!.open('left-by-a-killed-daemon', 64);
    const cmd = left.wrap({ command: 'sleep', args: ['44'] });
    running.push(run(cmd.command, cmd.args));
    const dir = join(first!.base, 'run-left-by-a-killed-daemon');
    await expect
      .poll(() => readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().length, { timeout: 5_000 })
      .toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'pids.max'), 'utf8').trim()).toBe('64');

    // The next daemon with the same $VIBER_HOME starts: the cgroup and its process are gone.
    const next = await probeRunCgroups(home, probeSucceeds);
    expect(next?.base).toBe(first!.base);
    expect(existsSync(dir)).toBe(false);
    await expect.poll(() => pgrepCount('^sleep 44$'), { timeout: 5_000 }).toBe(0);
    // Another Viber's (another $VIBER_HOME) are not touched.
    const other = await probeRunCgroups(`${home}-other`, probeSucceeds);
    expect(other?.base).not.toBe(first!.base);
  });

  it('as root, a Viber that exits with a run’s cgroup open (stopped at start, during its trial) leaves none', async () => {
    if (!root || !cgroupsHere()) return; // Not root: no cgroup is ever made (checked above).
    home = mkdtempSync(join(tmpdir(), 'viber-nproc-exit-'));
    const module = new URL('./run-cgroups.ts', import.meta.url).pathname;
    const runnerModule = new URL('./runner.ts', import.meta.url).pathname;
    const r = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `const { probeRunCgroups } = await import(${JSON.stringify(module)});
       const { probeSucceeds } = await import(${JSON.stringify(runnerModule)});
       const cgroups = await probeRunCgroups(process.argv[1], probeSucceeds);
       cgroups.open('open-at-exit', 64);
       console.log(cgroups.base);
       process.exit(0);`,
      home,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const base = r.stdout.trim();
    expect(base).toMatch(/\/openviber-[0-9a-f]{12}$/);
    expect(existsSync(join(base, 'run-open-at-exit'))).toBe(false);
    expect(existsSync(base)).toBe(false);
  });
});

async function pgrepCount(pattern: string): Promise<number> {
  const r = await run('pgrep', ['-c', '-f', pattern]);
  return Number(r.stdout.trim() || 0);
}
