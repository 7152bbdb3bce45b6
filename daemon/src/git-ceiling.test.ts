// Issue 14 finding 7: a $VIBER_HOME inside a git repository (a dotfiles home) must not lend that
// repository to a checkout that has none of its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  getBinding,
  getEnvironment,
  readPrepareLog,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair } from '@openviber/shared/crypto';
import { prepareBinding } from './prepare.ts';
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
  // Without bubblewrap (hidesKeys false) git runs on the host; in the sandbox the tmpfs over
  // $VIBER_HOME is a filesystem boundary git stops at anyway. Both must hold.
  it.each([false, true])(
    'hidesKeys=%s: a manual checkout inside a dotfiles repository is not a git work tree, and gets no worktree there',
    async (hidesKeys) => {
      const { dotfiles, home, root, checkout } = dotfilesHome();
      process.env.VIBER_HOME = home;
      const runner = testRunner({ home, root, capabilities: { hidesKeys } });

      await expect(runGit(isWorkTreeTask(), { runner, cwd: checkout })).rejects.toThrow(
        /not a git repository/,
      );
      await expect(
        runGit(worktreeAddTask(join(root, '.worktrees', 'task_1')), { runner, cwd: checkout }),
      ).rejects.toThrow(/not a git repository/);
      expect(git(dotfiles, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
      expect(gitEnv().GIT_CEILING_DIRECTORIES?.split(':')).toContain(home);
    },
  );

  it('a repository of its own below $VIBER_HOME still works', async () => {
    const { home, root, checkout } = dotfilesHome();
    process.env.VIBER_HOME = home;
    git(checkout, 'init', '-q');
    expect(await runGit(isWorkTreeTask(), { runner: testRunner({ home, root }), cwd: checkout })).toBe(true);
  });

  it.each([false, true])(
    'hidesKeys=%s: a manual environment prepares without taking the dotfiles revision',
    async (hidesKeys) => {
      const { dotfiles, home, root } = dotfilesHome();
      process.env.VIBER_HOME = home;
      const workspace = new Y.Doc();
      const envId = createEnvironment(
        workspace,
        environmentCreateSchema.parse({
          name: 'm',
          type: 'manual',
          setupMode: 'manual',
          setupScript: 'true',
        }),
      );
      const bindingId = createBinding(workspace, envId, { viberId: 'vbr_dot', strategy: 'clone' });
      const logDoc = new Y.Doc();
      const deps = {
        viberId: 'vbr_dot' as ViberId,
        keys: await generateKeyPair(),
        ownSecrets: [],
        root,
        stateDir: join(home, 'state'),
        runner: testRunner({ home, root, capabilities: { networkIsolation: false, hidesKeys } }),
        viberDoc: new Y.Doc(),
        logDoc,
      };
      expect(
        await prepareBinding(deps, getBinding(workspace, bindingId)!, getEnvironment(workspace, envId)!),
      ).toBe('ready');
      const dotfilesHead = git(dotfiles, 'rev-parse', 'HEAD').trim();
      expect(readPrepareLog(logDoc).lines.join('\n')).not.toContain(dotfilesHead);
      expect(git(dotfiles, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    },
  );
});
