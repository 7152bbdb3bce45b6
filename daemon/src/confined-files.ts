// The daemon's own reads and writes inside a task's working copy and git directory, done as the
// task's processes are: through the runner (bwrap with $VIBER_HOME hidden, on a Viber that has it).
// Code a task ran can plant a symbolic link wherever it can write — the worktree's git index,
// `.openviber/`, `info/exclude` — and the daemon, following it with its own rights, copied the
// Viber's key pair and token to where the task could read them, or wrote over any file of the user.
// Confined like the task, a link reaches only what the task could reach itself.
import { Redactor } from '@openviber/shared';
import type { Runner } from './runner.ts';
import { describeEnd } from './runner.ts';
import { ViberError } from './viber-error.ts';

async function confined(
  runner: Runner,
  cwd: string,
  label: string,
  script: string,
  args: string[],
  input?: string,
) {
  const result = await runner.run({
    label,
    command: { command: 'sh', args: ['-c', script, 'sh', ...args] },
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    redactor: new Redactor([]),
    input,
    timeoutMs: 60_000,
  });
  return result;
}

/**
 * Replaces `to` with a copy of `from` (or just removes it when `from` is not a file the task's side
 * can read); false when nothing was copied.
 */
export async function copyConfined(runner: Runner, cwd: string, from: string, to: string): Promise<boolean> {
  const script = 'rm -f -- "$2"; [ -f "$1" ] && cp -- "$1" "$2"';
  const result = await confined(runner, cwd, 'copy the task index', script, [from, to]);
  return result.exitCode === 0;
}

/** Removes `path` (a link itself, never what it points to), as the task could. */
export async function removeConfined(runner: Runner, cwd: string, path: string): Promise<void> {
  await confined(runner, cwd, 'remove a task file', 'rm -f -- "$1"', [path]);
}

/** Writes `text` to `path` (its directory made), as the task could. */
export async function writeConfined(runner: Runner, cwd: string, path: string, text: string): Promise<void> {
  const result = await confined(
    runner,
    cwd,
    'write a task file',
    'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"',
    [path],
    text,
  );
  if (result.exitCode !== 0)
    throw new ViberError(
      'task_file_failed',
      `could not write ${path} in the task's working copy: ${describeEnd(result)}`,
    );
}

/** Appends `line` to `path` unless a line equal to it is there already. */
export async function appendLineOnceConfined(
  runner: Runner,
  cwd: string,
  path: string,
  line: string,
): Promise<void> {
  const result = await confined(
    runner,
    cwd,
    'exclude our files from the task changes',
    'mkdir -p -- "$(dirname -- "$1")" && { grep -qxF -- "$2" "$1" 2>/dev/null || { [ -s "$1" ] && [ "$(tail -c 1 "$1")" != "" ] && echo >> "$1"; printf "%s\\n" "$2" >> "$1"; }; }',
    [path, line],
  );
  if (result.exitCode !== 0)
    throw new ViberError(
      'task_file_failed',
      `could not write ${path} in the task's git directory: ${describeEnd(result)}`,
    );
}
