// [R3a] A root Viber's bubblewrap runs get their process limit from a pids cgroup each. The kernel
// exempts root's processes from RLIMIT_NPROC (in any user namespace: they stay uid 0 outside it), so
// `ulimit -u` in the sandbox bounds nothing for root; a cgroup's `pids.max` bounds every task in the
// cgroup, root's included, threads included, as RLIMIT_NPROC does for everyone else.
//
// Each run gets `<base>/run-<id>`: the command is started through `sh`, which moves itself into the
// cgroup before it execs the command, so nothing the run starts is ever outside it. The sandbox sees
// /sys read-only (sandbox.ts), so a run cannot move itself back out. A run's cgroup is removed when
// the run ends (what is left in it killed first); a daemon killed with -9 leaves some, removed with
// whatever is in them when the next daemon with the same $VIBER_HOME starts.
//
// Where: the pids controller's cgroup v1 hierarchy (the daemon's own cgroup in it), or the cgroup v2
// hierarchy's root when pids is among its controllers (v2 lets only a cgroup without processes of its
// own hand controllers to its children; the root is exempt). Used only once a trial run has joined a
// cgroup and found its limit: anywhere it does not work (no pids controller, a read-only or foreign
// hierarchy), runs are started as before and the daemon says they have no process limit.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './sandbox.ts';

/** How long a run's cgroup may take to empty after the run (its processes are SIGKILLed) before it is left for the next start. */
const EMPTY_WAIT_MS = 2_000;
/**
 * Moves the shell into the cgroup whose membership file is `$0` ("0": the writer itself), then
 * becomes the command. On cgroup v1 that file is `tasks`: the kernel moves the writing thread itself
 * (our shell has no other) without taking the lock that moves a whole process, whose writer waits
 * for an RCU grace period — 7-13 ms of every run's start here through `cgroup.procs`, ~0.1 ms
 * through `tasks`. v2 moves processes through `cgroup.procs` only.
 */
const JOIN_SCRIPT = 'echo 0 > "$0" && exec "$@"';

export interface RunCgroup {
  /** `cmd`, started inside this cgroup. */
  wrap(cmd: Command): Command;
  /** Kills what is left in it and removes it (once the run has ended). */
  close(): Promise<void>;
}

export interface RunCgroups {
  /** The folder the runs' cgroups are made in. */
  readonly base: string;
  /** A cgroup for one run, at most `maxProcesses` tasks. */
  open(runId: string, maxProcesses: number): RunCgroup;
}

export interface Hierarchy {
  version: 1 | 2;
  /** The folder under which this daemon may make cgroups. */
  parent: string;
}

/**
 * Where `controller` (pids, memory) is mounted, from /proc/self/mountinfo and /proc/self/cgroup: its
 * cgroup v1 hierarchy (below the daemon's own cgroup in it), or else the cgroup v2 hierarchy's root;
 * null when neither is mounted. Whether v2 has the controller is for the caller to read.
 */
export function cgroupHierarchy(controller: string, mountinfo: string, ownCgroups: string): Hierarchy | null {
  const mounts = mountinfo
    .split('\n')
    .map((line) => {
      const [left, right] = line.split(' - ');
      if (!left || !right) return null;
      const fields = left.split(' ');
      const [fstype, , superOptions = ''] = right.split(' ');
      return { root: unescape(fields[3] ?? ''), point: unescape(fields[4] ?? ''), fstype, superOptions };
    })
    .filter((m) => m !== null);
  const v1 = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.split(',').includes(controller));
  if (v1) {
    // "8:pids:/some/path": the daemon's own cgroup in that hierarchy, as the mount's root sees it.
    const own = ownCgroups
      .split('\n')
      .map((line) => /^\d+:([^:]*):(.*)$/.exec(line))
      .find((m) => m?.[1]?.split(',').includes(controller))?.[2];
    if (own === undefined || !own.startsWith(v1.root)) return null;
    return { version: 1, parent: join(v1.point, own.slice(v1.root.length)) };
  }
  const v2 = mounts.find((m) => m.fstype === 'cgroup2' && m.root === '/');
  if (!v2) return null;
  return { version: 2, parent: v2.point };
}

/** Where the pids controller is mounted (cgroupHierarchy). */
export const pidsHierarchy = (mountinfo: string, ownCgroups: string) =>
  cgroupHierarchy('pids', mountinfo, ownCgroups);

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The cgroups this process made and has not removed yet. A daemon that exits
 * while one is open — stopped during its start's trial run, say — removes what is already empty; the
 * rest is for the next start with the same $VIBER_HOME (a temporary one has none).
 */
const made = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  made.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    // Children first: a child's path is longer than its parent's.
    for (const path of [...made].sort((a, b) => b.length - a.length))
      try {
        rmdirSync(path);
      } catch {
        // Not empty yet: left for the next start.
      }
  });
}

/** A folder's entries (none when it cannot be read). */
const listed = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** The processes in a cgroup (none once it is gone). */
const members = (dir: string): number[] =>
  readText(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);

/** SIGKILLs what is in `dir`, waits for it to empty, and removes it; false when it could not. */
export async function removeCgroup(dir: string): Promise<boolean> {
  made.delete(dir);
  const deadline = Date.now() + EMPTY_WAIT_MS;
  // The last task's exit is released a moment after the run ends: check again soon, then less often.
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    for (const pid of members(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    try {
      rmdirSync(dir);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      // EBUSY: processes still exiting (or a child cgroup: none of ours has one).
      if (code !== 'EBUSY' || Date.now() > deadline) return false;
    }
    await delay(wait);
  }
}

/** The folder, below the pids hierarchy's, of the runs of the Viber whose $VIBER_HOME is `home`. */
export const runCgroupsFolder = (home: string) =>
  `openviber-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`;

/**
 * Run cgroups for this daemon, or null where they cannot be used (not root, no pids controller, a
 * hierarchy it may not write): its runs then keep only RLIMIT_NPROC. `home` ($VIBER_HOME) names the
 * folder, so two Vibers on one machine never touch each other's runs. `probe` runs the trial
 * (runner.ts's `probeSucceeds`: the runner's module spawns everything).
 */
export async function probeRunCgroups(
  home: string,
  probe: (command: string, args: string[]) => Promise<boolean>,
): Promise<RunCgroups | null> {
  if (process.getuid?.() !== 0) return null;
  const hierarchy = pidsHierarchy(readText('/proc/self/mountinfo'), readText('/proc/self/cgroup'));
  if (!hierarchy) return null;
  const base = join(hierarchy.parent, runCgroupsFolder(home));
  const hasPids = (dir: string) => readText(join(dir, 'cgroup.subtree_control')).split(/\s/).includes('pids');
  /** The folder, made again when the last run's removal took it (v2: handing pids to its children). */
  const ensureBase = () => {
    mkdirSync(base, { recursive: true });
    if (hierarchy.version === 2 && !hasPids(base))
      writeFileSync(join(base, 'cgroup.subtree_control'), '+pids');
  };
  try {
    if (hierarchy.version === 2) {
      if (!readText(join(hierarchy.parent, 'cgroup.controllers')).split(/\s/).includes('pids')) return null;
      if (!hasPids(hierarchy.parent))
        writeFileSync(join(hierarchy.parent, 'cgroup.subtree_control'), '+pids');
    }
    ensureBase();
  } catch {
    return null;
  }
  // A previous daemon killed with -9 left its runs' cgroups (bubblewrap ended the runs with it).
  for (const name of listed(base)) if (name.startsWith('run-')) await removeCgroup(join(base, name));

  const joinFile = hierarchy.version === 1 ? 'tasks' : 'cgroup.procs';
  const cgroups: RunCgroups = {
    base,
    open(runId, maxProcesses) {
      const dir = join(base, `run-${runId.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      ensureBase();
      track(base);
      mkdirSync(dir);
      track(dir);
      writeFileSync(join(dir, 'pids.max'), String(maxProcesses));
      return {
        wrap: (cmd) => ({
          ...cmd,
          command: 'sh',
          args: ['-c', JOIN_SCRIPT, join(dir, joinFile), cmd.command, ...cmd.args],
        }),
        close: async () => {
          await removeCgroup(dir);
          // The folder goes with the last run in it (a test's temporary $VIBER_HOME leaves none).
          try {
            rmdirSync(base);
            made.delete(base);
          } catch {
            // Another run's cgroup is in it.
          }
        },
      };
    },
  };
  // A trial: a shell joins a cgroup and finds itself there, under its limit. Anything failing here
  // (a hierarchy that lets the folder be made but not a cgroup in it) means no cgroups, not no Viber.
  let trial: RunCgroup | undefined;
  try {
    const name = `probe-${process.pid}`;
    trial = cgroups.open(name, 7);
    const cmd = trial.wrap({
      command: 'sh',
      args: [
        '-c',
        'grep -q "/run-$1$" /proc/self/cgroup && test "$(cat "$0")" = 7',
        join(base, `run-${name}`, 'pids.max'),
        name,
      ],
    });
    return (await probe(cmd.command, cmd.args)) ? cgroups : null;
  } catch {
    return null;
  } finally {
    await trial?.close();
  }
}
