// Remembers the process group of each running task, so a daemon killed hard can clean up its
// orphans on the next start (their runs are then marked interrupted).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = (stateDir: string) => join(stateDir, 'running');

export function recordRunPid(stateDir: string, runKey: string, pid: number): void {
  mkdirSync(dir(stateDir), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir(stateDir), runKey), String(pid));
}

export function forgetRunPid(stateDir: string, runKey: string): void {
  rmSync(join(dir(stateDir), runKey), { force: true });
}

/** Kills the process groups left by a previous daemon; returns how many files it found. */
export function killOrphanRuns(stateDir: string): number {
  let found = 0;
  let names: string[];
  try {
    names = readdirSync(dir(stateDir));
  } catch {
    return 0;
  }
  for (const name of names) {
    found++;
    const pid = Number(readFileSync(join(dir(stateDir), name), 'utf8'));
    if (Number.isInteger(pid) && pid > 1) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(join(dir(stateDir), name), { force: true });
  }
  return found;
}
