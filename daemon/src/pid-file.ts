// $VIBER_HOME/daemon.pid: which process runs the daemon for this home, so `viber status` can say
// whether it runs and a second `viber start` is refused (two daemons would run every message twice).
// A daemon killed hard leaves the file behind; it is stale once its process is gone, or once the pid
// belongs to another process (Linux: the start time in /proc differs from the one recorded).
import { createHash } from 'node:crypto';
import { linkSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bootId, startTimeOf } from './process-identity.ts';
import { ViberError } from './viber-error.ts';

export interface DaemonRecord {
  pid: number;
  /** Epoch ms when `viber start` began. */
  startedAt: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), where known. */
  processStart?: string;
  /** The boot that start time counts from (Linux). */
  bootId?: string;
}

export type DaemonState =
  | { state: 'running'; record: DaemonRecord }
  | { state: 'stale'; record: DaemonRecord }
  | { state: 'stopped' };

export const pidFilePath = (home: string) => join(home, 'daemon.pid');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecord(home: string): DaemonRecord | undefined {
  try {
    const raw = JSON.parse(readFileSync(pidFilePath(home), 'utf8')) as Partial<DaemonRecord>;
    if (!Number.isInteger(raw.pid) || (raw.pid as number) <= 0 || typeof raw.startedAt !== 'number')
      return undefined;
    return raw as DaemonRecord;
  } catch {
    return undefined;
  }
}

/** Whether a daemon runs for `home`, from its pid file. */
export function daemonState(home: string): DaemonState {
  const record = readRecord(home);
  // No file, or an unreadable one: nothing that could be a daemon is recorded.
  if (!record) return { state: 'stopped' };
  if (!processAlive(record.pid)) return { state: 'stale', record };
  const boot = bootId();
  // Without /proc (not Linux) a live pid is all we can check.
  if (!boot) return { state: 'running', record };
  const start = startTimeOf(record.pid);
  // Gone or a zombie; or the pid now names another process (start times compare within one boot).
  if (
    !start ||
    (record.bootId && record.bootId !== boot) ||
    (record.processStart && start !== record.processStart)
  )
    return { state: 'stale', record };
  return { state: 'running', record };
}

/** Creates `path` with the record only if it does not exist (EEXIST otherwise). */
function linkOrCreate(tmp: string, path: string, record: DaemonRecord): void {
  try {
    linkSync(tmp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // File systems without hard links: an exclusive create, written at once (a reader may briefly see it empty).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    writeFileSync(path, JSON.stringify(record) + '\n', { mode: 0o600, flag: 'wx' });
  }
}

const alreadyRunning = (home: string, record: DaemonRecord) =>
  new ViberError(
    'already_running',
    `a Viber daemon already runs for ${home} (pid ${record.pid}, since ${new Date(record.startedAt).toISOString()}); stop it first`,
  );

/**
 * Records this process as the daemon for `home`; refuses if another live daemon holds it.
 * The record is written whole to a temp file and hard-linked into place, which fails if the name
 * exists: of several starts at once exactly one wins, and no reader ever sees a half-written file.
 * Returns a release function (also run at process exit) that removes the file if it is still ours.
 */
export function claimPidFile(home: string): () => void {
  const record: DaemonRecord = {
    pid: process.pid,
    startedAt: Date.now(),
    processStart: startTimeOf(process.pid) || undefined,
    bootId: bootId() || undefined,
  };
  const path = pidFilePath(home);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkOrCreate(tmp, path, record);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const current = daemonState(home);
        if (current.state === 'running') throw alreadyRunning(home, current.record);
        if (attempt > 0)
          throw new ViberError('already_running', `another viber start for ${home} is under way`);
        // A stale record (or an unreadable file): remove it, unless another start replaced it meanwhile.
        const seen = readRecord(home);
        if (current.state === 'stale' && seen?.pid !== current.record.pid) continue;
        rmSync(path, { force: true });
      }
    }
  } finally {
    unlinkSync(tmp);
  }
  const release = () => {
    process.off('exit', release);
    if (readRecord(home)?.pid !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return release;
}

/**
 * What `viber start` holds: on Linux a lock the kernel lets go of when the process ends — an abstract
 * Unix socket named after the home — taken before the pid file. Two starts racing over a stale pid
 * file could both win the file (one removed it while the other, finding it gone, removed the first's
 * fresh claim): both daemons then ran every message. The lock has one holder, whatever the file
 * says. Then the pid file, for `viber status` (and for systems without abstract sockets).
 */
export async function claimHome(home: string): Promise<() => void> {
  if (process.platform === 'linux') {
    const name = `\0openviber-viber-${createHash('sha256').update(realpathSync(home)).digest('hex').slice(0, 40)}`;
    const lock = createServer();
    await new Promise<void>((resolve, reject) => {
      lock.once(
        'error',
        (error: NodeJS.ErrnoException) =>
          error.code === 'EADDRINUSE' ? reject(runningNow(home)) : resolve(), // no abstract sockets here: the pid file alone decides
      );
      lock.listen({ path: name }, () => resolve());
    });
    lock.unref();
  }
  return claimPidFile(home);
}

/** The refusal of a second start while the home's lock is held: naming the daemon when its file does. */
function runningNow(home: string): ViberError {
  const current = daemonState(home);
  return current.state === 'stopped'
    ? new ViberError(
        'already_running',
        `a Viber daemon already runs for ${home} (\`viber status\`); stop it first`,
      )
    : alreadyRunning(home, current.record);
}
