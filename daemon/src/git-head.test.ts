import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHeadRevision } from './git-head.ts';
import { tempDir } from '../test/temp-dir.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

function repo(...initArgs: string[]) {
  const dir = tempDir('head-');
  git(dir, 'init', '-q', '-b', 'main', ...initArgs);
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'one');
  return dir;
}

describe('the revision read from a checkout’s files (no git process)', () => {
  it('agrees with git rev-parse: a fresh clone, packed refs, a detached HEAD, a SHA-256 repository', () => {
    const origin = repo();
    const clone = join(tempDir(), 'clone');
    git(tempDir(), 'clone', '-q', '--', `file://${origin}`, clone);
    expect(readHeadRevision(clone)).toBe(git(clone, 'rev-parse', 'HEAD'));
    git(clone, 'pack-refs', '--all');
    expect(readHeadRevision(clone)).toBe(git(clone, 'rev-parse', 'HEAD'));
    git(clone, 'checkout', '-q', '--detach');
    expect(readHeadRevision(clone)).toBe(git(clone, 'rev-parse', 'HEAD'));
    const sha256 = repo('--object-format=sha256');
    expect(readHeadRevision(sha256)).toMatch(/^[0-9a-f]{64}$/);
    expect(readHeadRevision(sha256)).toBe(git(sha256, 'rev-parse', 'HEAD'));
  });

  it('answers null (so git is asked) for what it does not read: no repo, an unborn branch, a worktree, a hostile HEAD', () => {
    expect(readHeadRevision(tempDir())).toBeNull();
    const unborn = tempDir();
    git(unborn, 'init', '-q', '-b', 'main');
    expect(readHeadRevision(unborn)).toBeNull();
    const main = repo();
    const worktree = join(tempDir(), 'wt');
    git(main, 'worktree', 'add', '-q', '--detach', worktree);
    expect(readHeadRevision(worktree)).toBeNull(); // `.git` is a file there
    const hostile = repo();
    mkdirSync(join(hostile, 'outside'));
    writeFileSync(join(hostile, 'outside', 'x'), 'f'.repeat(40));
    writeFileSync(join(hostile, '.git', 'HEAD'), 'ref: refs/heads/../../outside/x\n');
    expect(readHeadRevision(hostile)).toBeNull();
    writeFileSync(join(hostile, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(hostile, '.git', 'refs', 'heads', 'main'), 'not an object id\n');
    expect(readHeadRevision(hostile)).toBeNull();
  });
});
