// Wraps a command for the execution policy: the environment's container image through docker/podman,
// an empty network namespace when networkAccess is false, and — whenever this Viber can — a mount and
// pid namespace where $VIBER_HOME (config.json with the key pair and token, local state) is hidden.
import { basename, isAbsolute, relative } from 'node:path';
import type { Capabilities } from './capabilities.ts';
import { MAX_RUN_PROCESSES, RUN_OOM_SCORE_ADJ } from './limits.ts';
import { ViberError } from './viber-error.ts';

export interface Command {
  command: string;
  args: string[];
  /** Run after a cancel or timeout: killing the docker client does not always stop its container. */
  cleanup?: { command: string; args: string[] };
}

export interface Policy {
  /** false: no network (tasks only; setup keeps network to install dependencies). */
  network: boolean;
  containerImage: string;
  /**
   * A named engine volume kept across runs (`viber-cache-<envId>`), mounted at CONTAINER_CACHE_DIR
   * with the package managers' cache variables pointing into it: npm's cache survives the container.
   */
  cacheVolume?: string;
}

/** Where a container sees its environment's cache volume. */
export const CONTAINER_CACHE_DIR = '/var/cache/openviber';
/** Package-manager cache locations inside the cache volume (fixed values, so passed on the command line). */
const CACHE_ENV = [
  `npm_config_cache=${CONTAINER_CACHE_DIR}/npm`,
  `YARN_CACHE_FOLDER=${CONTAINER_CACHE_DIR}/yarn`,
  `PIP_CACHE_DIR=${CONTAINER_CACHE_DIR}/pip`,
  `XDG_CACHE_HOME=${CONTAINER_CACHE_DIR}/xdg`,
];

/** What every environment's cache volume is named with. */
export const CACHE_VOLUME_PREFIX = 'viber-cache-';
/** The cache volume of an environment (ids are [A-Za-z0-9_-], valid in a volume name). */
export const cacheVolumeName = (environmentId: string) => `${CACHE_VOLUME_PREFIX}${environmentId}`;

/** What the wrapper needs to know about this Viber. */
export interface Confinement {
  capabilities: Capabilities;
  /** $VIBER_HOME: hidden from everything that runs, except the workspace root below it. */
  home: string;
  /** The workspace root (checkouts and worktrees). */
  root: string;
  /**
   * The parts of the workspace root this run sees (real paths, the working directory inside one):
   * its own binding only, so one environment's code — or a command its repository makes the
   * daemon's git run — cannot read or change another's checkout, worktrees, or what its setup wrote
   * there (an `.env` made from secrets, say).
   */
  reach: string[];
  /** Processes the run may have at once ([R3a]); MAX_RUN_PROCESSES when omitted. */
  maxProcesses?: number;
  /** The Viber runs as root (its engine's containers run as the host's root): see ROOT_CONTAINER_LIMITS. */
  asRoot?: boolean;
}

/**
 * Container limits set explicitly: engines default to limits above what an unprivileged or nested
 * host may grant (runc then fails with "setrlimit RLIMIT_NOFILE/NPROC: operation not permitted").
 */
export const CONTAINER_ULIMITS = [
  '--ulimit',
  'nofile=20000:20000',
  '--ulimit',
  `nproc=${MAX_RUN_PROCESSES}:${MAX_RUN_PROCESSES}`,
];

/**
 * [R3a] Run by root, the engine runs a container's processes as the host's root, which RLIMIT_NPROC
 * does not bound: the process limit is the container's pids cgroup limit too (podman's own default
 * was 2,048, docker's none). Not for a user's rootless engine, whose containers' processes are the
 * user's (the rlimit binds them) and which may have no cgroup to set it in (rootless podman on cgroup
 * v1 or with cgroupfs refuses or warns at every run).
 */
export const ROOT_CONTAINER_LIMITS = [
  '--pids-limit',
  String(MAX_RUN_PROCESSES),
  // [R3b] The container's processes are the kernel's first choice when memory runs out.
  '--oom-score-adj',
  String(RUN_OOM_SCORE_ADJ),
];

/**
 * The command to run under `policy`; throws a clear error when this Viber cannot enforce it rather
 * than running it with fewer restrictions than asked.
 */
export function wrapForPolicy(
  cmd: Command,
  policy: Policy | undefined,
  where: Confinement,
  cwd: string,
  envKeys: string[],
  name: string,
): Command {
  const caps = where.capabilities;
  if (policy?.containerImage) {
    if (!caps.container) {
      throw new ViberError(
        'no_container_runtime',
        `the environment asks for container image '${policy.containerImage}' but this Viber has no working docker or podman`,
      );
    }
    // The container sees its image and the working directory only; when that directory holds
    // $VIBER_HOME (an existing-path binding of the user's home, say), an empty tmpfs covers it.
    const args = [
      'run',
      '--rm',
      '-i',
      '--init',
      ...CONTAINER_ULIMITS,
      ...(where.asRoot ? ROOT_CONTAINER_LIMITS : []),
      '--name',
      name,
      '-v',
      `${cwd}:${cwd}`,
      '-w',
      cwd,
    ];
    if (contains(cwd, where.home)) {
      // podman copies what the path holds into a new tmpfs unless told not to; docker never does.
      const empty = basename(caps.container) === 'podman' ? `${where.home}:notmpcopyup` : where.home;
      args.push('--tmpfs', empty);
      for (const path of reachUnder(where)) args.push('-v', `${path}:${path}`);
    } else {
      // A task's worktree needs its checkout's git directory (objects, refs) to commit.
      for (const path of reachUnder(where)) if (!contains(cwd, path)) args.push('-v', `${path}:${path}`);
    }
    if (!policy.network) args.push('--network', 'none');
    if (policy.cacheVolume) {
      args.push('-v', `${policy.cacheVolume}:${CONTAINER_CACHE_DIR}`);
      for (const pair of CACHE_ENV) args.push('-e', pair);
    }
    // `-e KEY` without a value passes the value from our environment, so secrets stay off the command line.
    for (const key of envKeys) args.push('-e', key);
    args.push('--', policy.containerImage, cmd.command, ...cmd.args);
    // Podman's `rm -f` waits 10 s for a container that ignores SIGTERM (docker's kills at once):
    // one second, so a cancel or a daemon's stop (3 s of grace) removes it before the daemon exits.
    const rm = basename(caps.container) === 'podman' ? ['rm', '-f', '--time', '1', name] : ['rm', '-f', name];
    return { command: caps.container, args, cleanup: { command: caps.container, args: rm } };
  }
  let wrapped = cmd;
  if (caps.hidesKeys) {
    wrapped = {
      command: 'bwrap',
      args: [
        ...hideHomeArgs(where.home, reachUnder(where), cwd, where.maxProcesses),
        cmd.command,
        ...cmd.args,
      ],
    };
  }
  if (policy && !policy.network) {
    if (!caps.networkIsolation) {
      throw new ViberError(
        'no_network_isolation',
        'the environment has networkAccess off but this Viber cannot create an empty network namespace (unshare -rn); refusing to run with network',
      );
    }
    wrapped = { command: 'unshare', args: ['-rn', '--', wrapped.command, ...wrapped.args] };
  }
  return wrapped;
}

/**
 * A command of the probed container engine on its own objects (`volume ls`, `volume rm`), which runs
 * no user code: it runs as the engine client of a container run does, outside bubblewrap, whose
 * dropped capabilities and fresh pid namespace the engine cannot work in. Anything else is refused.
 */
export function engineCommand(cmd: Command, caps: Capabilities): Command {
  if (!caps.container || cmd.command !== caps.container) {
    throw new ViberError(
      'not_the_engine',
      `'${cmd.command}' is not this Viber's container engine (${caps.container || 'none'})`,
    );
  }
  return { command: cmd.command, args: cmd.args };
}

/**
 * What of the workspace root a run sees: its reach — only what is inside the root (everything else
 * under $VIBER_HOME stays hidden; paths outside it are the host's, visible as they are), outermost
 * first so a nested path is bound over its parent, not under it.
 */
function reachUnder(where: Confinement): string[] {
  const inside = [...new Set(where.reach)].filter((path) => contains(where.root, path));
  return inside.filter((path) => !inside.some((other) => other !== path && contains(other, path))).sort();
}

/**
 * bubblewrap arguments (up to the command): the host's files as they are but without device nodes (a
 * raw read of the disk would reach around the mount) and a fresh minimal /dev, /sys read-only (a
 * root Viber's run could otherwise write what root may: move itself out of its pids cgroup, change
 * the host's cgroup limits or device settings), an empty tmpfs over
 * $VIBER_HOME with only the run's part of the workspace root (`reach`) bound back, a pid namespace
 * with its own /proc (so /proc/<daemon>/root and /environ cannot reach around it either), no
 * capabilities (a root Viber's task could otherwise simply unmount the tmpfs), death with its parent,
 * at most `maxProcesses` processes ([R3a]), and the kernel's first choice when memory runs out ([R3b]).
 *
 * The process limit is RLIMIT_NPROC set inside the sandbox, hard and soft (no capability is left to
 * raise it). Run by a user other than root, bubblewrap puts the run in a user namespace of its own,
 * and the kernel (5.14 on) counts RLIMIT_NPROC per user namespace: the limit bounds this run's
 * processes, whatever else the user runs. The kernel never applies it to root's processes (a root
 * Viber's runs of the user's code get a pids cgroup: run-cgroups.ts).
 */
export function hideHomeArgs(
  home: string,
  reach: string[],
  cwd: string,
  maxProcesses = MAX_RUN_PROCESSES,
): string[] {
  // prettier-ignore
  return [
    '--bind', '/', '/',
    '--ro-bind-try', '/sys', '/sys',
    '--dev', '/dev',
    '--tmpfs', home,
    ...reach.flatMap((path) => ['--bind', path, path]),
    '--unshare-pid', '--proc', '/proc',
    '--cap-drop', 'ALL',
    '--die-with-parent',
    '--chdir', cwd,
    '--',
    'bash', '--noprofile', '--norc', '-c', `${OOM_FIRST} ulimit -u ${maxProcesses} && exec "$@"`, 'viber-run',
  ];
}

/** [R3b] A run's processes are the kernel's first choice when memory runs out (best effort: never fails the run). */
const OOM_FIRST = `{ echo ${RUN_OOM_SCORE_ADJ} > /proc/self/oom_score_adj; } 2>/dev/null;`;

/** `inner` is `outer` or below it (both real, absolute paths). */
export function contains(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A bash script run with fail-fast semantics (like CI runners). */
export const bashScript = (script: string): Command => ({
  command: 'bash',
  args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
});
