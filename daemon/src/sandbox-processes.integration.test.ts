// [R3a] A run in bubblewrap has a process limit of its own: a fork bomb in one environment's setup
// stops there, and neither the user's other processes nor other runs count against it. Real
// bubblewrap, run as an unprivileged user (root's processes are exempt from the kernel's limit, so
// a Viber running as root has none: the README says so), with the very arguments the runner uses.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer } from '../../sync-server/testing/spawn-server.ts';
import { boundViber } from '../test/bound-viber.ts';
import { waitFor } from '../test/wait-for.ts';
import { hideHomeArgs } from './sandbox.ts';

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

    const r = await run(forker(300, 43));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^refused: Resource temporarily unavailable$/m);
    const started = Number(/started (\d+)/.exec(r.stdout)?.[1]);
    // The limit counts this run's processes (its shell and perl among them), nothing else.
    expect(started).toBeLessThan(64);
    expect(started).toBeGreaterThan(50);
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

  it('a Viber running as root says at start that its bubblewrap runs have no process limit', async () => {
    const server = await spawnServer();
    const { viber } = await boundViber(server.url, 'root-note');
    try {
      viber.start();
      await waitFor(() => viber.output().includes('synced with the server'), { what: 'the Viber to start' });
      await waitFor(() => viber.output().includes('capabilities:'), { what: 'its capabilities' });
      const note = /running as root: setups and tasks in bubblewrap have no process limit/;
      if (root && /hidesKeys=true/.test(viber.output())) expect(viber.output()).toMatch(note);
      else expect(viber.output()).not.toMatch(note);
    } finally {
      await viber.stop();
      await server.dispose();
    }
  });
});
