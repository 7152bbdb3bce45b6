// Issue 14 finding 7: a $VIBER_HOME inside a git repository (a dotfiles home) must not lend that
// repository to a checkout that has none of its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitEnv, runGit } from './git-executor.ts';
import { isWorkTreeTask, worktreeAddTask } from './git-tasks.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

/** A home folder that is a git repository, with $VIBER_HOME (and a manual checkout) inside it. */
function dotfilesHome() {
  const dotfiles = tempDir('dotfiles-');
  git(dotfiles, 'init', '-q');
  writeFileSync(join(dotfiles, '.bashrc'), 'alias ll="ls -l"\n');
  git(dotfiles, 'add', '.bashrc');
  git(dotfiles, 'commit', '-q', '-m', 'dotfiles');
  const home = join(dotfiles, '.openviber');
  const root = join(home, 'workspaces');
  const checkout = join(root, 'env_manual');
  mkdirSync(checkout, { recursive: true });
  return { dotfiles, home, root, checkout };
}

const savedHome = process.env.VIBER_HOME;
afterEach(() => {
  if (savedHome === undefined) delete process.env.VIBER_HOME;
  else process.env.VIBER_HOME = savedHome;
});

describe('git never uses a repository above $VIBER_HOME', () => {
  it('a manual checkout inside a dotfiles repository is not a git work tree, and gets no worktree there', async () => {
    const { dotfiles, home, root, checkout } = dotfilesHome();
    process.env.VIBER_HOME = home;
    const runner = testRunner({ home, root });

    await expect(runGit(isWorkTreeTask(), { runner, cwd: checkout })).rejects.toThrow(/not a git repository/);
    await expect(
      runGit(worktreeAddTask(join(root, '.worktrees', 'task_1')), { runner, cwd: checkout }),
    ).rejects.toThrow(/not a git repository/);
    expect(git(dotfiles, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(gitEnv().GIT_CEILING_DIRECTORIES?.split(':')).toContain(home);
  });

  it('a repository of its own below $VIBER_HOME still works', async () => {
    const { home, root, checkout } = dotfilesHome();
    process.env.VIBER_HOME = home;
    git(checkout, 'init', '-q');
    expect(await runGit(isWorkTreeTask(), { runner: testRunner({ home, root }), cwd: checkout })).toBe(true);
  });
});
