import { existsSync } from 'node:fs';
import { processesWithEnv, startTimeOf } from '../src/process-identity.ts';
import { waitFor } from './wait-for.ts';

/** True while a process with this pid exists (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The host pid of the newest process started with `PID_FILE=<pidFile>` in its environment, once the
 * pid file exists: a task runs in a pid namespace of its own, so the pid it writes is not ours.
 */
export async function hostPidOf(pidFile: string): Promise<number> {
  return waitFor(() => {
    if (!existsSync(pidFile)) return 0;
    const pids = processesWithEnv('PID_FILE', pidFile);
    return pids.sort((a, b) => Number(startTimeOf(b)) - Number(startTimeOf(a)) || b - a)[0] ?? 0;
  });
}
