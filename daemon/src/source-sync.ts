// Brings a clone binding's checkout to the branch's latest revision: clone when missing (or when the
// repo URL changed), otherwise fetch and fast-forward.
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { viberHome } from './config.ts';
import type { Redactor } from '@openviber/shared';
import { assertSafeGitConfig, runGit } from './git-executor.ts';
import { readHeadRevision } from './git-head.ts';
import {
  assertRepoUrl,
  cloneTask,
  fastForwardTask,
  fetchTask,
  headRevisionTask,
  remoteUrlTask,
} from './git-tasks.ts';
import type { Runner } from './runner.ts';
import { isInside } from './working-dir.ts';
import { ViberError } from './viber-error.ts';

export interface SyncSourceInput {
  runner: Runner;
  root: string;
  dir: string;
  url: string;
  branch: string;
  token?: string;
  redactor: Redactor;
  log: (text: string) => void;
  signal?: AbortSignal;
  /** Called before a fresh clone replaces the checkout: what setup did there is gone with it. */
  onClone?: () => void;
}

/**
 * A local repository may not be anything of this Viber's own: another environment's checkout or a
 * task's worktree (a container-only environment would get their history on the host), or its state.
 */
function assertNotOwnPath(url: string): void {
  const path = url.startsWith('/') ? url : url.startsWith('file:') ? fileURLToPath(url) : '';
  if (!path) return;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  if (isInside(real(viberHome()), real(path)))
    throw new ViberError(
      'path_refused',
      `the local repository ${path} is inside this Viber's own folder ($VIBER_HOME): another environment's checkout or the Viber's state cannot be a source`,
    );
}

/** Clones or updates `dir` from `url`; returns the checked-out revision. */
export async function syncSource(input: SyncSourceInput): Promise<string> {
  assertRepoUrl(input.url);
  assertNotOwnPath(input.url);
  if (!isInside(input.root, input.dir))
    throw new ViberError('path_refused', 'the checkout would be outside the workspace root');
  const git = {
    runner: input.runner,
    token: input.token,
    redactor: input.redactor,
    onOutput: input.log,
    signal: input.signal,
  };
  if (existsSync(join(input.dir, '.git'))) {
    const current = await runGit(remoteUrlTask(), { ...git, cwd: input.dir }).catch(() => '');
    if (current === input.url) {
      input.log(`$ git fetch origin ${input.branch}\n`);
      // Other environments' code can write this checkout (the workspace root is shared): its config
      // may not make git run a command with this environment's token.
      await assertSafeGitConfig({ ...git, cwd: input.dir });
      await runGit(fetchTask(input.branch), { ...git, cwd: input.dir });
      await runGit(fastForwardTask(), { ...git, cwd: input.dir });
      return readHeadRevision(input.dir) ?? runGit(headRevisionTask(), { ...git, cwd: input.dir });
    }
    input.log('the repository URL changed; cloning afresh\n');
  }
  input.onClone?.();
  rmSync(input.dir, { recursive: true, force: true });
  // Cloned beside the checkout and renamed into place once whole: a clone a kill -9 cut off (a few
  // of its files there, origin already set) is never taken for the checkout and fetched into. From
  // inside the (empty) folder: git reaches that folder only, not the other checkouts.
  const partial = `${input.dir}.cloning`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  input.log(`$ git clone ${input.branch ? `--branch ${input.branch} ` : ''}-- ${input.url}\n`);
  await runGit(cloneTask(input.url, '.', input.branch), { ...git, cwd: partial });
  renameSync(partial, input.dir);
  return readHeadRevision(input.dir) ?? runGit(headRevisionTask(), { ...git, cwd: input.dir });
}
