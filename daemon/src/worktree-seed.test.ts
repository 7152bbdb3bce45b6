// [A1] seeding a task's worktree with what setup produced, on real git and cp through the runner.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedWorktree } from './worktree-seed.ts';
import { testRunner } from '../test/test-runner.ts';

describe('[A1] seedWorktree', () => {
  it('copies the ignored entries only, keeps links as links, and the copy is the task’s own (no hard links)', async () => {
    const runner = testRunner();
    const checkout = join(runner.root, 'checkouts', 'b1');
    mkdirSync(join(checkout, 'app'), { recursive: true });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
    writeFileSync(join(checkout, '.gitignore'), 'node_modules/\ndist/\n-odd name.log\n');
    writeFileSync(join(checkout, 'app', 'index.js'), 'tracked\n');
    git(checkout, 'init', '-q', '-b', 'main');
    git(checkout, 'add', '-A');
    git(checkout, 'commit', '-qm', 'base');
    // What a setup leaves behind.
    mkdirSync(join(checkout, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(checkout, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    mkdirSync(join(checkout, 'node_modules', '.bin'));
    symlinkSync('../dep/index.js', join(checkout, 'node_modules', '.bin', 'dep'));
    mkdirSync(join(checkout, 'app', 'dist'));
    writeFileSync(join(checkout, 'app', 'dist', 'out.js'), 'built\n');
    writeFileSync(join(checkout, '-odd name.log'), 'log\n');
    writeFileSync(join(checkout, 'untracked.txt'), 'not ignored: not copied\n');

    const tree = join(runner.root, 'worktrees', 'tsk_1');
    git(checkout, 'worktree', 'add', '-q', '--detach', tree, 'HEAD');
    // From a subdirectory of the checkout (an environment's workingDir).
    const copied = await seedWorktree({
      runner,
      checkout: join(checkout, 'app'),
      worktree: tree,
      reach: [checkout, tree],
    });
    expect(copied).toBe(3);
    expect(readFileSync(join(tree, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect(lstatSync(join(tree, 'node_modules', '.bin', 'dep')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(tree, 'app', 'dist', 'out.js'), 'utf8')).toBe('built\n');
    expect(readFileSync(join(tree, '-odd name.log'), 'utf8')).toBe('log\n');
    expect(existsSync(join(tree, 'untracked.txt'))).toBe(false);
    expect(git(tree, 'status', '--porcelain')).toBe('');
    // A task editing a dependency in place edits its own copy only.
    writeFileSync(join(tree, 'node_modules', 'dep', 'index.js'), 'patched by the task\n');
    expect(readFileSync(join(checkout, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe(
      'module.exports = 1;\n',
    );
  });
});
