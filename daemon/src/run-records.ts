// A durable record of every process group the runner starts, under <stateDir>/running/, so a daemon
// killed hard (kill -9, power loss of the daemon only) stops what it left behind on its next start —
// and never anything else: a recorded pid is killed only while its start time and boot still match.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redactor } from '@openviber/shared';
import { replaceFile } from './durable-file.ts';
import { bootId, processesWithEnv, startTimeOf } from './process-identity.ts';
import { runProcess } from './process-runner.ts';

/** Set on every process the runner starts; a random value per run, inherited by the whole tree. */
export const RUN_ID_ENV = 'VIBER_RUN_ID';
const RECORD_VERSION = 1;
const ORPHAN_EXIT_WAIT_MS = 5_000;

export interface RunRecord {
  version: number;
  runId: string;
  /** What it was, for the log: "setup binding b1", "git clone". */
  label: string;
  bootId: string;
  /** The process group (= the leader's pid) and the leader's start time, once it started. */
  pgid?: number;
  startTime?: string;
  /** Run to clean up what the group leaves outside itself (a container: `podman rm -f <name>`). */
  cleanup?: { command: string; args: string[] };
}

const dirOf = (stateDir: string) => join(stateDir, 'running');

/**
 * Writes the record atomically (write, rename); with `sync`, also so that it survives a crash of the
 * machine right after (fsync of the file and the folder).
 */
function writeRecord(stateDir: string, record: RunRecord, sync: boolean): void {
  const dir = dirOf(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  replaceFile(join(dir, `${record.runId}.json`), JSON.stringify(record), { durable: sync });
}

/** Records a run before it spawns; `started` adds its process group once it has. */
export function recordRun(
  stateDir: string,
  label: string,
  cleanup?: RunRecord['cleanup'],
): { runId: string; started(pgid: number): void; forget(): void } {
  const record: RunRecord = {
    version: RECORD_VERSION,
    runId: randomUUID(),
    label,
    bootId: bootId(),
    cleanup,
  };
  // Written before the spawn: from here on, whatever carries the run id can be found and stopped. A
  // daemon killed hard leaves its writes in the page cache anyway; the fsync is for a machine crash,
  // after which the processes are gone (another boot) but a stopped container may still hold its name:
  // only a record with a cleanup to run has anything to do after one (~3 ms per spawn otherwise).
  writeRecord(stateDir, record, cleanup !== undefined);
  return {
    runId: record.runId,
    started(pgid) {
      // Not fsync'd (~3 ms per spawn): if it is lost, the durable first version still names the run id.
      writeRecord(stateDir, { ...record, pgid, startTime: startTimeOf(pgid) }, false);
    },
    forget() {
      rmSync(join(dirOf(stateDir), `${record.runId}.json`), { force: true });
    },
  };
}

/** The records a previous daemon left; unreadable ones are dropped. */
export function readRunRecords(stateDir: string): RunRecord[] {
  let names: string[];
  try {
    names = readdirSync(dirOf(stateDir));
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names) {
    const path = join(dirOf(stateDir), name);
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
      if (name.endsWith('.json') && typeof parsed.runId === 'string') {
        records.push(parsed);
        continue;
      }
    } catch {
      // a torn temp file or an old format: nothing to identify a process by
    }
    rmSync(path, { force: true });
  }
  return records;
}

/** The live processes that are provably this run's: its group leader if its start time matches, and any carrying its run id. */
function survivors(record: RunRecord): { leader: number | undefined; members: number[] } {
  if (record.bootId !== bootId()) return { leader: undefined, members: [] };
  const leaderAlive =
    record.pgid !== undefined && record.startTime && startTimeOf(record.pgid) === record.startTime;
  return {
    leader: leaderAlive ? record.pgid : undefined,
    members: processesWithEnv(RUN_ID_ENV, record.runId),
  };
}

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** Kills every live process that carries this run id in its environment. */
export function killRunId(runId: string): void {
  for (const pid of processesWithEnv(RUN_ID_ENV, runId)) kill(pid);
}

/**
 * At a run's end: kills what it left running that carries its run id — a daemon it started (a new
 * session, its output let go), or what a sandbox's pid namespace still holds for the moment it takes
 * to end — and waits (at most ORPHAN_EXIT_WAIT_MS) until they are gone. Nothing to do in the common
 * case: one /proc scan.
 */
export async function stopRunLeftovers(runId: string): Promise<void> {
  const killed = new Map<number, string>();
  const deadline = Date.now() + ORPHAN_EXIT_WAIT_MS;
  for (;;) {
    for (const pid of processesWithEnv(RUN_ID_ENV, runId)) {
      if (!killed.has(pid)) killed.set(pid, startTimeOf(pid));
      kill(pid);
    }
    const left = [...killed].some(([pid, start]) => start && startTimeOf(pid) === start);
    if (!left || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Stops every process group recorded by a previous daemon and waits until it is gone, then runs its
 * cleanup (containers) and drops the record. Call before anything new runs. Returns the labels stopped.
 */
export async function killOrphanRuns(stateDir: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const record of readRunRecords(stateDir)) {
    const found = survivors(record);
    if (found.leader !== undefined || found.members.length) {
      stopped.push(record.label);
      // The whole group (children that did not inherit the run id), then stragglers that left it.
      if (found.leader !== undefined) kill(-found.leader);
      for (const pid of found.members) kill(pid);
      // Waited for by identity too: a process on its way out (a pid namespace's init waiting for the
      // rest of its namespace) no longer shows its environment, but is not gone yet.
      const killed = new Map<number, string>();
      for (const pid of [found.leader, ...found.members])
        if (pid !== undefined) killed.set(pid, startTimeOf(pid));
      const stillThere = () => [...killed].some(([pid, start]) => start && startTimeOf(pid) === start);
      const deadline = Date.now() + ORPHAN_EXIT_WAIT_MS;
      while (Date.now() < deadline) {
        const left = survivors(record);
        if (left.leader === undefined && left.members.length === 0 && !stillThere()) break;
        for (const pid of left.members) {
          if (!killed.has(pid)) killed.set(pid, startTimeOf(pid));
          kill(pid);
        }
        // A poll, not a busy wait we could replace: these are not our children (their daemon died),
        // so no exit event reaches us, and Node has no pidfd to wait on.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (record.cleanup) {
      await runProcess({
        ...record.cleanup,
        cwd: stateDir,
        env: process.env,
        redactor: new Redactor([]),
        timeoutMs: 30_000,
      });
    }
    rmSync(join(dirOf(stateDir), `${record.runId}.json`), { force: true });
  }
  return stopped;
}
