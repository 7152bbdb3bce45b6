// The one runner: everything the daemon executes (setup, maintenance, health checks, task messages,
// containers, git) goes through `Runner.run`. It applies the policy (sandbox.ts), records the process
// group with its start time before anything can outlive us (run-records.ts), streams output through
// the request's redactor, which always holds the Viber's own (token, private key) too, kills the tree on cancel or
// timeout (process-runner.ts), and cleans up containers. Nothing else spawns.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Redactor, type NamedSecret } from '@openviber/shared';
import type { Capabilities } from './capabilities.ts';
import { describeEnd, runProcess, type BoundedOutput, type ProcessResult } from './process-runner.ts';
import { clearSpoolDir, spoolWorks } from './output-spool.ts';
import { killRunId, recordRun, RUN_ID_ENV, stopRunLeftovers } from './run-records.ts';
import { probeRunCgroups, type RunCgroup, type RunCgroups } from './run-cgroups.ts';
import { MAX_RUN_PROCESSES } from './limits.ts';
import { contains, engineCommand, wrapForPolicy, type Command, type Policy } from './sandbox.ts';
import { ViberError } from './viber-error.ts';

export { describeEnd, type ProcessResult };

export interface RunRequest {
  /** What it is, for records and logs: "setup", "task msg_1", "git clone". */
  label: string;
  command: Command;
  /** Network and container; omitted for the daemon's own tools (git), which still run with keys hidden. */
  policy?: Policy;
  /** Names the container, when the policy runs one. */
  containerName?: string;
  /** The command is the container engine on its own objects (a volume), not a container: see engineCommand. */
  engine?: boolean;
  cwd: string;
  /**
   * The parts of the workspace root the run sees (its binding's checkout, a task's worktree), `cwd`
   * inside one of them; everything else under the root is hidden from it (sandbox.ts
   * `Confinement.reach`), the daemon's own tools (git, a copy) included. Omitted: `cwd` alone.
   */
  reach?: string[];
  /** The process's full environment. */
  env: NodeJS.ProcessEnv;
  /** Keys of `env` a container must receive (passed by name, never on the command line). */
  containerEnvKeys?: string[];
  redactor?: Redactor;
  /** Redacted output as it arrives; `dropped`: characters before it dropped unsent (`bounded`). */
  onOutput?: (text: string, dropped: number) => void;
  /** The caller keeps only the newest output: batch it, and redact only what is kept. */
  bounded?: BoundedOutput;
  timeoutMs?: number;
  graceMs?: number;
  signal?: AbortSignal;
  input?: string;
  captureStdout?: boolean;
}

export interface RunnerOptions {
  /** $VIBER_HOME; hidden from what runs when the Viber can hide it. */
  home: string;
  /** The workspace root below $VIBER_HOME. */
  root: string;
  /** Where run records live (<stateDir>/running). */
  stateDir: string;
  capabilities: Capabilities;
  /** The Viber's own credentials, redacted from everything as a last line of defence. */
  ownSecrets: NamedSecret[];
  /**
   * Where bounded output (a task's run) is spooled through an unlinked file rather than a pipe, when
   * holes can be punched there (output-spool.ts); omitted: always a pipe.
   */
  spoolDir?: string;
  /** Processes one run may have at once ([R3a]); MAX_RUN_PROCESSES unless a test asks for fewer. */
  maxRunProcesses?: number;
}

export interface Runner {
  readonly capabilities: Capabilities;
  /** Runs to completion; never throws for the process's own failure, throws ViberError when the policy cannot be enforced. */
  run(request: RunRequest): Promise<ProcessResult>;
  /**
   * [R3a] Run as root, where bubblewrap runs' process limit comes from: the folder of their pids
   * cgroups, or null when there is none (the kernel exempts root from RLIMIT_NPROC). Null when not
   * root or without bubblewrap. The first call removes what a killed daemon's runs left there.
   */
  rootProcessLimit(): Promise<string | null>;
}

const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * The real paths of what a run may see of $VIBER_HOME: its reach (only `cwd` when none is given),
 * each inside the workspace root with no link on the way below it, and `cwd` inside one of them
 * (or outside $VIBER_HOME altogether: an existing path of the user's). A working directory or a
 * reach that a setup turned into a link (`app -> ../..`, into another checkout, into the root) is
 * refused rather than followed: the paths come from the daemon's records, the links from code
 * that ran in the working copy.
 */
function confineReach(
  options: RunnerOptions,
  real: { home: string; root: string },
  request: RunRequest,
): string[] {
  const inHome = (path: string) => contains(real.home, path);
  const confined = (path: string): string => {
    const resolved = realpathSync(path);
    if (!inHome(resolved)) return resolved;
    const lexical = resolve(path);
    const base = [options.root, real.root].find((root) => contains(resolve(root), lexical));
    if (!contains(real.root, resolved))
      throw new ViberError('path_refused', `${path} is inside $VIBER_HOME but outside the workspace root`);
    if (base === undefined || resolved !== join(real.root, relative(resolve(base), lexical)))
      throw new ViberError(
        'path_refused',
        `${path} goes through a link inside the Viber's workspace (to ${resolved}); a working copy's own links are not followed to reach another`,
      );
    return resolved;
  };
  const cwd = confined(request.cwd);
  const reach = (request.reach ?? [request.cwd]).filter((path) => existsSync(path)).map(confined);
  if (inHome(cwd) && !reach.some((path) => contains(path, cwd)))
    throw new ViberError(
      'path_refused',
      `${request.cwd} is outside what this run may reach of the workspace`,
    );
  return reach;
}

export function createRunner(options: RunnerOptions): Runner {
  const { spoolDir } = options;
  const maxProcesses = options.maxRunProcesses ?? MAX_RUN_PROCESSES;
  if (spoolDir) clearSpoolDir(spoolDir);
  // [R3a] Root's bubblewrap runs: a pids cgroup each, where this machine has one the Viber can use.
  let cgroups: Promise<RunCgroups | null> | undefined;
  const rootCgroups = () =>
    options.capabilities.hidesKeys && process.getuid?.() === 0
      ? (cgroups ??= probeRunCgroups(options.home, probeSucceeds))
      : Promise.resolve(null);
  let spooling: Promise<boolean> | undefined;
  // Only a run that dies with the daemon: bubblewrap's --die-with-parent ends it with us. A pipe
  // also stops a writer whose reader died (SIGPIPE); a spool would not, and an orphan flooding an
  // unlinked file while the daemon is down could fill the disk. So no spool without the sandbox,
  // nor for a container (its engine client outlives us).
  const spoolFor = async (request: RunRequest) =>
    request.bounded &&
    spoolDir &&
    options.capabilities.hidesKeys &&
    !request.policy?.containerImage &&
    (await (spooling ??= spoolWorks(spoolDir)))
      ? spoolDir
      : undefined;
  // Containers of one environment started at once each `run -v <cache volume>:…`; the engine makes a
  // missing volume inside `run`, and two runs making the same one race there ("volume already
  // exists", exit 125). So the volume is made first, once per name, by one `volume create` that
  // concurrent runs share; a `volume rm` through this runner forgets the names it removes.
  const volumes = new Map<string, Promise<void>>();
  const ensureVolume = (name: string, cwd: string): Promise<void> => {
    const engine = options.capabilities.container;
    let made = volumes.get(name);
    if (!made && engine) {
      made = runProcess({
        command: engine,
        args: ['volume', 'create', name],
        cwd,
        env: process.env,
        redactor: new Redactor(options.ownSecrets),
        timeoutMs: CLEANUP_TIMEOUT_MS,
      }).then((result) => {
        // Made before (by an earlier daemon, or by hand): what we wanted. Anything else: the run
        // itself reports what the engine says.
        if (result.exitCode !== 0 && !/already exists/i.test(result.tail)) volumes.delete(name);
      });
      volumes.set(name, made);
    }
    return made ?? Promise.resolve();
  };
  return {
    capabilities: options.capabilities,
    async run(request) {
      const cwd = request.cwd;
      if (request.engine && request.command.args[0] === 'volume' && request.command.args[1] === 'rm')
        for (const name of request.command.args.slice(2)) volumes.delete(name);
      mkdirSync(options.root, { recursive: true });
      if (!existsSync(cwd))
        throw new ViberError('no_working_dir', `the working directory ${cwd} does not exist`);
      // Real paths: bwrap cannot mount over a symlink (a $VIBER_HOME reached through one, say).
      const where = {
        capabilities: options.capabilities,
        home: realpathSync(options.home),
        root: realpathSync(options.root),
        maxProcesses,
        asRoot: process.getuid?.() === 0,
      };
      let cmd = request.engine
        ? engineCommand(request.command, options.capabilities)
        : wrapForPolicy(
            request.command,
            request.policy,
            { ...where, reach: confineReach(options, where, request) },
            realpathSync(cwd),
            request.containerEnvKeys ?? [],
            request.containerName ?? `viber-${randomUUID()}`,
          );
      // The policy is checked (wrapForPolicy throws for one this Viber cannot run): make its volume.
      const volume = request.policy?.containerImage ? request.policy.cacheVolume : undefined;
      if (volume) await ensureVolume(volume, cwd);
      const spool = await spoolFor(request);
      const record = recordRun(options.stateDir, request.label, cmd.cleanup);
      // The user's code (a policy: setup, maintenance, a task's message) in bubblewrap as root: the
      // kernel does not count its processes against RLIMIT_NPROC; a pids cgroup of its own does. Not
      // the daemon's own git and copies (no policy), which run no code of the repository's
      // (git-executor.ts): a cgroup costs a run ~1 ms (a shell to join it, making and removing it;
      // on cgroup v2 the join also waits for an RCU grace period, 7-13 ms on this machine's v1
      // through `cgroup.procs`), which the several git commands of every prepare would each pay.
      let cgroup: RunCgroup | undefined;
      const usersCode =
        !request.engine &&
        request.policy !== undefined &&
        !request.policy.containerImage &&
        options.capabilities.hidesKeys;
      const limits = usersCode ? await rootCgroups() : null;
      if (limits) {
        try {
          cgroup = limits.open(record.runId, maxProcesses);
        } catch (error) {
          record.forget();
          throw new ViberError(
            'no_process_limit',
            `could not make this run's pids cgroup under ${limits.base} (${String(error)}); refusing to run without its process limit`,
          );
        }
        cmd = cgroup.wrap(cmd);
      }
      // A container outlives its engine client: on a cancel or a daemon's stop it is removed at once,
      // not after the client has exited (a daemon stopping gives its work 3 s, as long as the client's
      // own kill grace, and then exits; the container, with its secrets, ran on until the next start).
      const runCleanup = () =>
        runProcess({
          ...cmd.cleanup!,
          cwd,
          env: process.env,
          redactor: new Redactor(options.ownSecrets),
          timeoutMs: CLEANUP_TIMEOUT_MS,
        });
      let cleanup: Promise<unknown> | undefined;
      const cleanUpNow = () => (cleanup ??= runCleanup());
      if (cmd.cleanup) request.signal?.addEventListener('abort', cleanUpNow, { once: true });
      try {
        // One pass: the request's secrets and the Viber's own (env-secrets already holds both).
        // A redactor holds stream state: each run gets its own (or the request's, used by one run at a time).
        const redactor = request.redactor?.including(options.ownSecrets) ?? new Redactor(options.ownSecrets);
        const result = await runProcess({
          command: cmd.command,
          args: cmd.args,
          cwd,
          env: { ...request.env, [RUN_ID_ENV]: record.runId },
          redactor,
          onOutput: request.onOutput,
          bounded: request.bounded,
          spoolDir: spool,
          onSpawn: record.started,
          // Without a pid namespace, a process that left the group can hold the output open for ever.
          onStragglers: () => killRunId(record.runId),
          timeoutMs: request.timeoutMs,
          graceMs: request.graceMs,
          signal: request.signal,
          input: request.input,
          captureStdout: request.captureStdout,
        });
        if (cmd.cleanup && (result.cancelled || result.timedOut || result.signal)) await cleanUpNow();
        return result;
      } finally {
        request.signal?.removeEventListener('abort', cleanUpNow);
        // A daemon the run started (a new session, its output let go) would outlive it and its cancel:
        // look for its run id in every process's environment (~1 ms per 80 processes on the machine).
        // In bubblewrap's pid namespace too: its outer process exits as soon as the namespace's init
        // reports the command's exit code, and our pipes close as that init exits — before its exit
        // has killed the rest of the namespace. A fresh-clone CI run caught a `setsid` sleep there.
        await stopRunLeftovers(record.runId).catch(() => undefined);
        await cgroup?.close();
        record.forget();
      }
    },
    rootProcessLimit: async () => (await rootCgroups())?.base ?? null,
  };
}

/** A short probe of what this machine can do (capabilities.ts): no policy, no record, 5 s at most. */
export async function probeSucceeds(command: string, args: string[]): Promise<boolean> {
  const result = await runProcess({
    command,
    args,
    cwd: '/',
    env: process.env,
    redactor: new Redactor([]),
    timeoutMs: 5_000,
    graceMs: 500,
  });
  return result.exitCode === 0;
}
