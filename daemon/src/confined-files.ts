// The daemon's own reads and writes inside a task's working copy and git directory, done as the
// task's processes are: through the runner (bwrap with $VIBER_HOME hidden, on a Viber that has it).
// Code a task ran can plant a symbolic link wherever it can write — the worktree's git index,
// `.openviber/`, `info/exclude` — and the daemon, following it with its own rights, copied the
// Viber's key pair and token to where the task could read them, or wrote over any file of the user.
// Confined like the task, a link reaches only what the task could reach itself.
//
// Below one of the task's reach (its checkout, its worktree, its scratch directory: working-dir.ts
// `taskReach`) that is done in process, without a process per file: every directory between that
// top and the file must be a real directory (lstat), the file is opened without following a link
// (O_NOFOLLOW) and created only new (O_EXCL) — a link anywhere on the way refuses the operation.
// Anywhere else (a path git named through a link it followed) it runs through the runner with the
// same reach: a few lines of Node, the one program every Viber has, seeing no other environment.
import {
  constants,
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { Redactor } from '@openviber/shared';
import type { Runner } from './runner.ts';
import { describeEnd } from './runner.ts';
import { ViberError } from './viber-error.ts';

const SCRIPTS = {
  // Replaces `to` with a copy of `from`, never through a link at `to`; exit 1 when `from` is no file.
  copy: `const fs = require('fs'); const [from, to] = process.argv.slice(1);
    fs.rmSync(to, { force: true });
    let file = false; try { file = fs.statSync(from).isFile(); } catch {}
    if (!file) process.exit(1);
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);`,
  remove: `require('fs').rmSync(process.argv[1], { force: true });`,
  // Writes stdin to the path, its directory made, never through a link at the path.
  write: `const fs = require('fs'); const path = require('path'); const [to] = process.argv.slice(1);
    fs.mkdirSync(path.dirname(to), { recursive: true }); fs.rmSync(to, { force: true });
    fs.writeFileSync(to, fs.readFileSync(0), { flag: 'wx' });`,
  // Appends a line unless the file has it already.
  appendOnce: `const fs = require('fs'); const path = require('path'); const [to, line] = process.argv.slice(1);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    let text = ''; try { text = fs.readFileSync(to, 'utf8'); } catch {}
    if (!text.split('\\n').includes(line)) fs.appendFileSync(to, (text && !text.endsWith('\\n') ? '\\n' : '') + line + '\\n');`,
};

/** True when `path` is below `root` with no link and nothing but directories on the way (the file itself excepted). */
export function linkFreeBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return false;
  let at = root;
  for (const part of rel.split(sep).slice(0, -1)) {
    at = join(at, part);
    try {
      const st = lstatSync(at);
      if (st.isSymbolicLink() || !st.isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Makes the directories of `path` below `root` one by one; false when a link or a file is on the way. */
function makeDirsBelow(root: string, path: string): boolean {
  const rel = relative(root, dirname(path));
  if (rel.startsWith('..') || isAbsolute(rel)) return false;
  let at = root;
  for (const part of rel ? rel.split(sep) : []) {
    at = join(at, part);
    try {
      mkdirSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
  }
  return linkFreeBelow(root, path);
}

/**
 * A file's bytes read without following a link: `missing` when nothing is there, null when it is a
 * link or no regular file.
 */
function readNoFollow(path: string): Buffer | null | 'missing' {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : null;
  } finally {
    closeSync(fd);
  }
}

/** A file's text read without following a link: '' when it does not exist, null when it is a link or no file. */
export function readTextNoFollow(path: string): string | null {
  const data = readNoFollow(path);
  return data === 'missing' ? '' : data && data.toString('utf8');
}

/** Writes a new file (after removing what is there, a link itself), never through a link. */
function writeNew(path: string, data: string | Buffer): void {
  rmSync(path, { force: true });
  writeFileSync(path, data, { flag: 'wx', mode: 0o644 });
}

/** Where the daemon works for a task: its runner, what it may reach, and a directory inside that. */
export interface TaskFiles {
  runner: Runner;
  reach: readonly string[];
  cwd: string;
}

/** The top of `reach` below which `path` lies with no link on the way, if any. */
const freeBelow = (reach: readonly string[], path: string) => reach.some((top) => linkFreeBelow(top, path));

function confined(
  { runner, reach, cwd }: TaskFiles,
  label: string,
  script: string,
  args: string[],
  input?: string,
) {
  return runner.run({
    label,
    command: { command: process.execPath, args: ['-e', script, '--', ...args] },
    cwd,
    reach: [...reach],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    redactor: new Redactor([]),
    input,
    timeoutMs: 60_000,
  });
}

/**
 * Replaces `to` with a copy of `from` (or just removes it when `from` is not a file the task's side
 * can read); false when nothing was copied.
 */
export async function copyConfined(at: TaskFiles, from: string, to: string): Promise<boolean> {
  if (freeBelow(at.reach, from) && freeBelow(at.reach, to)) {
    const data = readNoFollow(from);
    rmSync(to, { force: true });
    if (!data || data === 'missing') return false;
    writeNew(to, data);
    return true;
  }
  const result = await confined(at, 'copy the task index', SCRIPTS.copy, [from, to]);
  return result.exitCode === 0;
}

/** Removes `path` (a link itself, never what it points to), as the task could. */
export async function removeConfined(at: TaskFiles, path: string): Promise<void> {
  if (freeBelow(at.reach, path)) return rmSync(path, { force: true });
  await confined(at, 'remove a task file', SCRIPTS.remove, [path]);
}

/** Writes `text` to `path` (its directory made), as the task could. */
export async function writeConfined(at: TaskFiles, path: string, text: string): Promise<void> {
  if (at.reach.some((top) => makeDirsBelow(top, path))) return writeNew(path, text);
  const result = await confined(at, 'write a task file', SCRIPTS.write, [path], text);
  if (result.exitCode !== 0)
    throw new ViberError(
      'task_file_failed',
      `could not write ${path} in the task's working copy: ${describeEnd(result)}`,
    );
}

/** Appends `line` to `path` unless a line equal to it is there already, as the task could. */
export async function appendLineOnceConfined(at: TaskFiles, path: string, line: string): Promise<void> {
  if (at.reach.some((top) => makeDirsBelow(top, path))) {
    const text = readTextNoFollow(path);
    if (text === null) throw new ViberError('path_refused', `${path} is a link or not a file; not written`);
    if (text.split('\n').includes(line)) return;
    // Rewritten whole, new: an append would follow a link put there since.
    return writeNew(path, (text && !text.endsWith('\n') ? text + '\n' : text) + line + '\n');
  }
  const result = await confined(at, 'exclude our files from the task changes', SCRIPTS.appendOnce, [
    path,
    line,
  ]);
  if (result.exitCode !== 0)
    throw new ViberError(
      'task_file_failed',
      `could not write ${path} in the task's git directory: ${describeEnd(result)}`,
    );
}
