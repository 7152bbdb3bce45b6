// [A1][A2] a task's worktree through runMessage: a crash between `git worktree add` and the seed is
// finished by the next message, the base revision is recorded once, changes are published.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  getBinding,
  getEnvironment,
  getRun,
  readBaseRevision,
  readChanges,
  type Message,
  type MessageId,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair } from '@openviber/shared/crypto';
import { runMessage } from './task-runner.ts';
import { worktreeDir } from './working-dir.ts';
import { boundCheckout } from '../test/bound-checkout.ts';
import { testRunner } from '../test/test-runner.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

describe('[A1] a task worktree after a crash', () => {
  it('a worktree left without its seed marker (kill -9 between add and copy) is seeded by the next message', async () => {
    const runner = testRunner();
    const { ws, envId, bindingId, checkout } = boundCheckout(runner.root);
    writeFileSync(join(checkout, '.gitignore'), 'node_modules/\n');
    writeFileSync(join(checkout, 'a.txt'), 'a\n');
    git(checkout, 'init', '-q', '-b', 'main');
    git(checkout, 'add', '-A');
    git(checkout, 'commit', '-qm', 'base');
    const base = git(checkout, 'rev-parse', 'HEAD');
    mkdirSync(join(checkout, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(checkout, 'node_modules', 'dep', 'index.js'), 'module.exports = 42;\n');
    // The crash: the worktree exists, nothing was copied into it.
    const tree = worktreeDir(runner.root, 'tsk_1');
    git(checkout, 'worktree', 'add', '-q', '--detach', tree, 'HEAD');

    const runDoc = new Y.Doc();
    const changesDoc = new Y.Doc();
    const deps = {
      viberId: 'vbr_t' as ViberId,
      keys: await generateKeyPair(),
      ownSecrets: [],
      root: runner.root,
      stateDir: join(runner.home, 'state'),
      runner,
      viberDoc: new Y.Doc(),
      runDoc,
      changesDoc,
      timeoutMs: 30_000,
    };
    const run = (id: string, text: string) => {
      const message: Message = { id: id as MessageId, text, createdAt: 1, author: 'u' };
      return runMessage(deps, {
        taskId: 'tsk_1',
        message,
        env: getEnvironment(ws, envId)!,
        binding: getBinding(ws, bindingId)!,
        observation: {
          observedGeneration: 1,
          state: 'ready',
          step: 'ready',
          resolvedWorkingDir: checkout,
          lastPrepareAt: 1,
          lastError: '',
          specHash: '',
        },
        signal: new AbortController().signal,
      });
    };
    expect(await run('msg_1', 'cat node_modules/dep/index.js; echo b > b.txt')).toBe('completed');
    expect(getRun(runDoc, 'msg_1')?.output).toContain('module.exports = 42;');
    expect(existsSync(join(tree, '.openviber', 'seeded'))).toBe(true);
    expect(readBaseRevision(changesDoc)).toBe(base);
    expect(readChanges(changesDoc)?.files.map((f) => f.path)).toEqual(['b.txt']);

    // The checkout moves on (a later prepare): the task's base stays where the task started.
    writeFileSync(join(checkout, 'a.txt'), 'moved\n');
    git(checkout, 'commit', '-qam', 'moved on');
    git(tree, 'add', 'b.txt');
    git(tree, 'commit', '-qm', 'the task commits');
    expect(await run('msg_2', 'echo c > c.txt')).toBe('completed');
    expect(readChanges(changesDoc)).toMatchObject({ baseRevision: base });
    expect(readChanges(changesDoc)?.files.map((f) => f.path)).toEqual(['b.txt', 'c.txt']);
  });
});
