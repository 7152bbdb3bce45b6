// Who a process is, beyond its pid: pids are reused, so a recorded pid names the same process only
// if its start time (and the boot it belongs to) still match. Linux /proc only.
import { readFileSync, readdirSync } from 'node:fs';

/** This boot's id; start times count clock ticks since boot, so they compare only within one boot. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot at which the process started. */
  startTime: string;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTime: fields[19] ?? '' };
}

/** The process's start time, or '' when it no longer exists (a zombie counts as gone). */
export function startTimeOf(pid: number): string {
  const stat = readStat(pid);
  return stat && stat.state !== 'Z' ? stat.startTime : '';
}

/** Live processes whose environment holds `name=value` (environments are inherited, so a whole tree carries it). */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found; // no /proc (not Linux): only the recorded group can be checked, and is not
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    const padded = Buffer.concat([Buffer.from([0]), environ, Buffer.from([0])]);
    if (padded.includes(needle) && startTimeOf(pid)) found.push(pid);
  }
  return found;
}
