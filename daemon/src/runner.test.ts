import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { processesWithEnv, startTimeOf } from './process-identity.ts';
import { killOrphanRuns, readRunRecords } from './run-records.ts';
import { bashScript } from './sandbox.ts';
import { fixturePath } from '../test/fixture-files.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';
import { waitFor } from '../test/wait-for.ts';

const readPid = (file: string) =>
  waitFor(() => existsSync(file) && Number(readFileSync(file, 'utf8').trim()));

/** Each test of a run's leftovers runs twice: without the sandbox, and in it (its own pid namespace). */
const withAndWithoutSandbox = (without: string, within: string): [string, boolean][] => [
  [`without a sandbox${without}`, false],
  [`in the key-hiding sandbox${within}`, true],
];

describe('the one runner', () => {
  it('[R1] records the process group with its start time and boot while it runs, and forgets it after', async () => {
    const runner = testRunner();
    mkdirSync(runner.root, { recursive: true });
    const pidFile = join(runner.root, 'pid');
    const controller = new AbortController();
    const run = runner.run({
      label: 'setup binding b1',
      command: bashScript(`echo $$ > ${pidFile}; sleep 1000`),
      cwd: runner.root,
      env: process.env,
      signal: controller.signal,
      graceMs: 200,
    });
    await readPid(pidFile);
    const [record] = await waitFor(() => {
      const records = readRunRecords(runner.stateDir);
      return records[0]?.pgid ? records : null;
    });
    expect(record!.label).toBe('setup binding b1');
    expect(record!.startTime).toBe(startTimeOf(record!.pgid!));
    expect(record!.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    controller.abort();
    expect((await run).cancelled).toBe(true);
    expect(readRunRecords(runner.stateDir)).toEqual([]);
  });

  it.each(withAndWithoutSandbox(' (run id in the environment)', ' (its own pid namespace)'))(
    '[R2] orphans of a previous daemon are killed, grandchildren that left the group included, and gone when it returns: %s',
    async (_, hidesKeys) => {
      const runner = testRunner({ capabilities: { hidesKeys } });
      mkdirSync(runner.root, { recursive: true });
      const pidFile = join(runner.root, 'escaped.pid');
      // The run stands for one a hard-killed daemon left behind: nothing but its record will stop it.
      const run = runner.run({
        label: 'setup binding b2',
        command: { command: fixturePath('escapes-group.sh'), args: [] },
        cwd: runner.root,
        env: { ...process.env, PID_FILE: pidFile },
      });
      await readPid(pidFile);
      const record = await waitFor(() => readRunRecords(runner.stateDir).find((r) => r.pgid));
      // Host pids of everything the run started (in a pid namespace the pid file holds an inner pid).
      // The script, its escaped grandchild and its own foreground sleep (plus bwrap's two in a sandbox).
      const tree = await waitFor(() => {
        const pids = processesWithEnv('PID_FILE', pidFile);
        return pids.length >= 3 ? pids : null;
      });
      expect(tree).toContain(record.pgid);
      expect(await killOrphanRuns(runner.stateDir)).toEqual(['setup binding b2']);
      // Gone when killOrphanRuns returns (not "soon"): a new setup may start right after it.
      expect(tree.filter((pid) => startTimeOf(pid) !== '')).toEqual([]);
      expect((await run).signal).toBe('SIGKILL');
    },
  );

  it('a process that left the group but holds the output open is stopped when the run ends (no hang)', async () => {
    const runner = testRunner({ capabilities: { hidesKeys: false } });
    mkdirSync(runner.root, { recursive: true });
    const pidFile = join(runner.root, 'escaped.pid');
    const result = await runner.run({
      label: 'escapes and exits',
      command: bashScript(`setsid sleep 1000 & echo $! > ${pidFile}; echo main done`),
      cwd: runner.root,
      env: process.env,
    });
    expect(result.exitCode).toBe(0);
    const escaped = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => startTimeOf(escaped) === '', { what: 'the escaped process to be stopped' });
  });

  it.each(
    withAndWithoutSandbox(
      ': the runner looks for its run id',
      ': its pid namespace ends, and the run-id scan covers the moment that takes',
    ),
  )(
    'a daemonized descendant (left the group, closed its output) is gone by the time the run returns: %s',
    async (_, hidesKeys) => {
      const runner = testRunner({ capabilities: { hidesKeys } });
      mkdirSync(runner.root, { recursive: true });
      // Host pids, whatever namespace the run is in: every process carrying this mark.
      const mark = `daemonized-${process.pid}-${hidesKeys}`;
      const marked = () => processesWithEnv('DAEMONIZED_MARK', mark);
      let seen = 0;
      const watch = setInterval(() => (seen = Math.max(seen, marked().length)), 5);
      const result = await runner
        .run({
          label: 'starts a daemon',
          // What `redis-server --daemonize yes` or `pg_ctl start` do: a new session, stdio let go.
          command: bashScript(`setsid sleep 1000 </dev/null >/dev/null 2>&1 & sleep 0.3; echo started`),
          cwd: runner.root,
          env: { ...process.env, DAEMONIZED_MARK: mark },
        })
        .finally(() => clearInterval(watch));
      expect(result.exitCode).toBe(0);
      expect(seen).toBeGreaterThanOrEqual(2); // the run's shell and the daemonized sleep
      expect(marked()).toEqual([]); // gone when the run returned, not "soon"
    },
  );

  it('[R2] a recorded pid now owned by another process (start time differs) is never killed', async () => {
    const runner = testRunner();
    const unrelated = runner.run({
      label: 'unrelated',
      command: { command: 'sleep', args: ['1000'] },
      cwd: runner.root,
      env: process.env,
    });
    const pid = await waitFor(() => readRunRecords(runner.stateDir)[0]?.pgid);
    // A previous daemon's records naming that pid, as if the pid had been reused since.
    const previous = join(runner.home, 'previous-state');
    mkdirSync(join(previous, 'running'), { recursive: true });
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stale = (runId: string, fields: object) =>
      writeFileSync(
        join(previous, 'running', `${runId}.json`),
        JSON.stringify({ version: 1, runId, label: runId, bootId, pgid: pid, ...fields }),
      );
    stale('wrong-start', { startTime: String(Number(startTimeOf(pid)) - 1) });
    stale('other-boot', { startTime: startTimeOf(pid), bootId: 'another-boot' });
    stale('no-start', {});
    expect(await killOrphanRuns(previous)).toEqual([]);
    expect(startTimeOf(pid)).not.toBe('');
    expect(readRunRecords(previous)).toEqual([]);
    process.kill(-pid, 'SIGKILL');
    await unrelated;
  });

  it('[X7][R3] the Viber’s own token and private key are redacted from every run, even across writes', async () => {
    const token = 'vbr-token-0123456789abcdef';
    const runner = testRunner({ ownSecrets: [{ name: 'VIBER_TOKEN', value: token }] });
    let output = '';
    const result = await runner.run({
      label: 'leak',
      command: bashScript(`printf %s '${token.slice(0, 9)}'; sleep 0.05; printf '%s\\n' '${token.slice(9)}'`),
      cwd: runner.root,
      env: process.env,
      redactor: new Redactor([{ name: 'API_KEY', value: 'api-key-abcdef123' }]),
      onOutput: (t) => (output += t),
    });
    expect(result.exitCode).toBe(0);
    expect(output).toBe('[REDACTED:VIBER_TOKEN]\n');
  });

  it('[R3] what runs cannot read $VIBER_HOME (config, state), nor reach it through /proc, but works in the workspace', async () => {
    const runner = testRunner();
    mkdirSync(runner.root, { recursive: true });
    const config = join(runner.home, 'config.json');
    writeFileSync(config, '{"authToken":"tok-SECRET-123456"}', { mode: 0o600 });
    let output = '';
    const result = await runner.run({
      label: 'snoop',
      command: bashScript(
        [
          `cat ${config} || true`,
          'cat "$VIBER_HOME/config.json" || true',
          `cat /proc/${process.pid}/root${config} || true`,
          // A root Viber's task could unmount what hides the home, or read the raw disk, if it kept its capabilities.
          `(cd / && umount -l ${runner.root} ${runner.home}) || true`,
          `cat ${config} || true`,
          'for d in /dev/vd? /dev/sd? /dev/nvme?n?; do [ -e "$d" ] && head -c 1 "$d" && echo "read $d"; done || true',
          `ls ${runner.home}/state || true`,
          'echo ok > in-workspace',
        ].join('\n'),
      ),
      policy: { network: false, containerImage: '' },
      cwd: runner.root,
      env: { ...process.env, VIBER_HOME: runner.home },
      onOutput: (t) => (output += t),
    });
    expect(result.exitCode).toBe(0);
    expect(output).not.toContain('tok-SECRET');
    expect(output).not.toMatch(/^read \/dev\//m);
    expect(readFileSync(join(runner.root, 'in-workspace'), 'utf8')).toBe('ok\n');
  });

  it('[R3] a setup or task sees only its own binding of the workspace: another environment’s checkout and other tasks’ worktrees are hidden', async () => {
    const runner = testRunner();
    const checkouts = join(runner.root, 'checkouts');
    const mine = join(checkouts, 'b-mine');
    const theirs = join(checkouts, 'b-theirs');
    mkdirSync(theirs, { recursive: true });
    // What the other environment's setup wrote from its secrets.
    writeFileSync(join(theirs, '.env'), 'THEIR_TOKEN=tok-SECRET-theirs\n');
    mkdirSync(join(runner.root, 'worktrees', 't-theirs'), { recursive: true });
    writeFileSync(join(runner.root, 'worktrees', 't-theirs', 'notes'), 'tok-SECRET-their-task\n');
    // This task's checkout is a git repository and its worktree is a git worktree of it, in a subdirectory.
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd });
    mkdirSync(mine);
    git(mine, 'init', '-q', '-b', 'main');
    writeFileSync(join(mine, 'README'), 'hello\n');
    git(mine, 'add', '.');
    git(mine, 'commit', '-qm', 'first');
    const tree = join(runner.root, 'worktrees', 't-mine');
    git(mine, 'worktree', 'add', '-q', '--detach', tree);
    mkdirSync(join(tree, 'sub'));
    let output = '';
    const result = await runner.run({
      label: 'task t-mine',
      command: bashScript(
        [
          `cat ${theirs}/.env || echo no-theirs`,
          `ls ${runner.root}/worktrees`,
          `cat ${runner.root}/worktrees/t-theirs/notes || echo no-their-task`,
          // Written where it is hidden: lands in the tmpfs, never in the other checkout.
          `mkdir -p ${theirs} && echo planted > ${theirs}/.env`,
          // Its own work still works: the worktree's commits go to the checkout's git directory.
          'echo change > change.txt && git add change.txt',
          'git -c user.name=t -c user.email=t@t commit -qm "from the task" && echo committed',
        ].join('\n'),
      ),
      policy: { network: true, containerImage: '' },
      cwd: join(tree, 'sub'),
      reach: [mine, tree],
      env: process.env,
      onOutput: (t) => (output += t),
    });
    expect(result.exitCode).toBe(0);
    expect(output).not.toContain('tok-SECRET');
    expect(output).toContain('no-theirs');
    expect(output).toContain('no-their-task');
    expect(output).toMatch(/^t-mine$/m);
    expect(output).toContain('committed');
    expect(readFileSync(join(theirs, '.env'), 'utf8')).toBe('THEIR_TOKEN=tok-SECRET-theirs\n');
    expect(git(mine, 'log', '--all', '--format=%s').toString()).toContain('from the task');
    // The daemon's own tools (no policy: git on any checkout) still see the whole root.
    let listing = '';
    await runner.run({
      label: 'git',
      command: { command: 'ls', args: [checkouts] },
      cwd: runner.root,
      env: process.env,
      onOutput: (t) => (listing += t),
    });
    expect(listing.split('\n')).toEqual(expect.arrayContaining(['b-mine', 'b-theirs']));
  });

  it('[R3] a working directory or reach a setup turned into a link is refused, not followed: into the root, another checkout, or from outside into the workspace', async () => {
    const runner = testRunner();
    const mine = join(runner.root, 'checkouts', 'b-mine');
    const theirs = join(runner.root, 'checkouts', 'b-theirs');
    mkdirSync(theirs, { recursive: true });
    mkdirSync(mine, { recursive: true });
    // What a setup can do in its own checkout: its working directory `app` made a link.
    symlinkSync('../..', join(mine, 'app'));
    symlinkSync(theirs, join(mine, 'web'));
    const outside = join(tempDir(), 'project');
    symlinkSync(theirs, outside);
    const run = (cwd: string, reach: string[]) =>
      runner.run({
        label: 'task',
        command: bashScript('ls'),
        policy: { network: true, containerImage: '' },
        cwd,
        reach,
        env: process.env,
      });
    await expect(run(join(mine, 'app'), [mine])).rejects.toThrow(
      /goes through a link inside the Viber's workspace/,
    );
    await expect(run(join(mine, 'web'), [mine])).rejects.toThrow(/goes through a link/);
    await expect(run(mine, [join(mine, 'web')])).rejects.toThrow(/goes through a link/);
    // An existing path of the user's that leads into the workspace.
    await expect(run(outside, [outside])).rejects.toThrow(/goes through a link/);
    // A working directory outside the run's reach.
    await expect(run(theirs, [mine])).rejects.toThrow(/outside what this run may reach/);
    // Its own checkout, as it is, runs.
    expect((await run(mine, [mine])).exitCode).toBe(0);
  });

  it('[R3] a $VIBER_HOME reached through a symlink is hidden too (bwrap cannot mount over a symlink)', async () => {
    const real = tempDir('viber-real-home-');
    const home = join(tempDir(), 'home-link');
    symlinkSync(real, home);
    writeFileSync(join(real, 'config.json'), 'tok-SECRET-through-link');
    const runner = testRunner({ home });
    let output = '';
    const result = await runner.run({
      label: 'snoop',
      command: bashScript(`cat ${home}/config.json ${real}/config.json || echo nothing to read; pwd -P`),
      cwd: join(home, 'workspaces'),
      env: process.env,
      onOutput: (t) => (output += t),
    });
    expect(output).not.toContain('tok-SECRET');
    expect(output).toContain(join(real, 'workspaces'));
    expect(output).toContain('nothing to read');
    expect(result.exitCode).toBe(0);
  });

  it('a cancelled container run has its container removed; a killed daemon’s container is removed on the next start', async () => {
    const runner = testRunner({ capabilities: { container: fixturePath('fake-engine.sh') } });
    mkdirSync(runner.root, { recursive: true });
    const engineLog = join(runner.home, 'engine.log');
    const pidFile = join(runner.home, 'engine.pid');
    // The engine log reaches cleanups too, which run with the daemon's own environment.
    process.env.ENGINE_LOG = engineLog;
    const env = { ...process.env, PID_FILE: pidFile, API_TOKEN: 'x' };
    const controller = new AbortController();
    const request = {
      label: 'task in a container',
      command: { command: 'bash', args: ['-c', 'echo hi'] },
      policy: { network: false, containerImage: 'img:1' },
      containerName: 'viber-run-msg1',
      cwd: runner.root,
      env,
      containerEnvKeys: ['API_TOKEN'],
      graceMs: 200,
    };
    const run = runner.run({ ...request, signal: controller.signal });
    await readPid(pidFile);
    controller.abort();
    expect((await run).cancelled).toBe(true);
    const calls = () => readFileSync(engineLog, 'utf8').trim().split('\n');
    expect(calls()[0]).toContain('run --rm -i --init');
    expect(calls()[0]).toContain('--name viber-run-msg1');
    expect(calls()[1]).toBe('rm -f viber-run-msg1');

    // The same run left behind by a daemon killed hard: its next start kills the client and removes the container.
    writeFileSync(pidFile, '');
    const orphan = runner.run({ ...request, containerName: 'viber-run-msg2' });
    await readPid(pidFile);
    expect(await killOrphanRuns(runner.stateDir)).toEqual(['task in a container']);
    await orphan;
    delete process.env.ENGINE_LOG;
    expect(calls()).toContain('rm -f viber-run-msg2');
  });
});
