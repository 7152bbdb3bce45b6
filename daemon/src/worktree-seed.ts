// A task's fresh worktree starts from the prepared state: what setup produced in the checkout and
// git ignores (node_modules, build outputs) is copied in with `cp -a --reflink=auto` — a
// copy-on-write clone where the filesystem can (btrfs, XFS), a plain copy elsewhere. Hard links were
// measured too (bench/task-start.ts) and refused: a task that edits a dependency in place would edit
// the prepared checkout, and every other task, with it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '@openviber/shared';
import { lastLines, runGit } from './git-executor.ts';
import { ignoredEntriesTask, topLevelTask } from './git-change-tasks.ts';
import { describeEnd, type Runner } from './runner.ts';
import { ViberError } from './viber-error.ts';

/** Paths per `cp` process (well under ARG_MAX even for long paths). */
const CP_BATCH = 500;
/** Never copied: our own per-task files. */
const SKIP = new Set(['.openviber']);

export interface SeedInput {
  runner: Runner;
  /** A directory inside the prepared checkout. */
  checkout: string;
  /** The new worktree's top directory. */
  worktree: string;
  /** What git and the copy may reach (working-dir.ts `taskReach`): the checkout and the worktree. */
  reach: string[];
  redactor?: Redactor;
  signal?: AbortSignal;
}

/** Copies the checkout's ignored files into the worktree; returns how many entries were copied. */
export async function seedWorktree(input: SeedInput): Promise<number> {
  const git = { runner: input.runner, cwd: input.checkout, redactor: input.redactor, reach: input.reach };
  const top = await runGit(topLevelTask(), git);
  const entries = (await runGit(ignoredEntriesTask(), { ...git, cwd: top })).filter(
    (p) => !SKIP.has(p.split('/')[0]) && existsSync(join(top, p)),
  );
  for (let i = 0; i < entries.length; i += CP_BATCH) {
    const batch = entries.slice(i, i + CP_BATCH);
    const result = await input.runner.run({
      label: 'seed task worktree',
      // --parents keeps each entry's path below the worktree; -a keeps modes, links and times.
      command: { command: 'cp', args: ['-a', '--reflink=auto', '--parents', '--', ...batch, input.worktree] },
      cwd: top,
      reach: input.reach,
      env: process.env,
      redactor: input.redactor,
      timeoutMs: 10 * 60_000,
      signal: input.signal,
    });
    if (result.exitCode !== 0)
      throw new ViberError(
        'seed_failed',
        `copying what setup produced into the task's worktree ${describeEnd(result)}: ${lastLines(result.tail, 5)}`,
      );
  }
  return entries.length;
}
