import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHeadCommit, readHeadRevision } from './git-head.ts';
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

  it('a commit that is there: packed by a clone, loose after a commit, in a SHA-256 repository, agreeing with git', () => {
    const origin = repo();
    const clone = join(tempDir(), 'clone');
    git(tempDir(), 'clone', '-q', '--', `file://${origin}`, clone);
    expect(readdirSync(join(clone, '.git', 'objects', 'pack')).some((n) => n.endsWith('.idx'))).toBe(true);
    expect(readHeadCommit(clone)).toBe(git(clone, 'rev-parse', '--verify', 'HEAD^{commit}'));
    git(clone, 'commit', '-q', '--allow-empty', '-m', 'two'); // a loose object
    expect(readHeadCommit(clone)).toBe(git(clone, 'rev-parse', '--verify', 'HEAD^{commit}'));
    // Many objects over several packs: the binary search finds HEAD among them.
    for (let i = 0; i < 3; i++) {
      for (let f = 0; f < 200; f++) writeFileSync(join(clone, `f${f}.txt`), `${i} ${f}\n`);
      git(clone, 'add', '.');
      git(clone, 'commit', '-q', '-m', `batch ${i}`);
      git(clone, 'repack', '-q', '-d');
    }
    expect(
      readdirSync(join(clone, '.git', 'objects', 'pack')).filter((n) => n.endsWith('.idx')).length,
    ).toBeGreaterThan(1);
    expect(readHeadCommit(clone)).toBe(git(clone, 'rev-parse', '--verify', 'HEAD^{commit}'));
    const sha256 = repo('--object-format=sha256');
    expect(readHeadCommit(sha256)).toBe(git(sha256, 'rev-parse', '--verify', 'HEAD^{commit}'));
    git(sha256, 'gc', '-q');
    expect(readHeadCommit(sha256)).toBe(git(sha256, 'rev-parse', '--verify', 'HEAD^{commit}'));
  });

  it('answers null (git is asked) when the commit is not plainly there: objects gone, HEAD at a blob, links, a fifo, a bad index', () => {
    const gone = repo();
    rmSync(join(gone, '.git', 'objects'), { recursive: true });
    expect(readHeadRevision(gone)).not.toBeNull();
    expect(readHeadCommit(gone)).toBeNull();

    // HEAD's branch names a blob: loose, then packed.
    const blob = repo();
    const blobId = git(blob, 'hash-object', '-w', 'a.txt');
    writeFileSync(join(blob, '.git', 'refs', 'heads', 'main'), `${blobId}\n`);
    expect(readHeadCommit(blob)).toBeNull();
    git(blob, 'gc', '-q');
    expect(existsSync(join(blob, '.git', 'objects', blobId.slice(0, 2), blobId.slice(2)))).toBe(false);
    expect(readHeadCommit(blob)).toBeNull();

    // Links a setup could plant: HEAD to a file of the user's, the pack folder elsewhere, an index.
    const elsewhere = repo();
    const outside = join(tempDir(), 'HEAD');
    writeFileSync(outside, `${git(elsewhere, 'rev-parse', 'HEAD')}\n`);
    const linked = repo();
    rmSync(join(linked, '.git', 'HEAD'));
    symlinkSync(outside, join(linked, '.git', 'HEAD'));
    expect(readHeadRevision(linked)).toBeNull();
    expect(readHeadCommit(linked)).toBeNull();
    const packLinked = repo();
    git(packLinked, 'gc', '-q');
    expect(readHeadCommit(packLinked)).toBe(git(packLinked, 'rev-parse', 'HEAD')); // in the pack alone
    const packDir = join(packLinked, '.git', 'objects', 'pack');
    const moved = join(tempDir(), 'moved');
    renameSync(packDir, moved);
    symlinkSync(moved, packDir); // the same pack, through a link
    expect(readHeadCommit(packLinked)).toBeNull();
    const idxLinked = repo();
    git(idxLinked, 'gc', '-q');
    const idxDir = join(idxLinked, '.git', 'objects', 'pack');
    const idx = readdirSync(idxDir).find((n) => n.endsWith('.idx'))!;
    renameSync(join(idxDir, idx), join(idxDir, 'elsewhere'));
    symlinkSync(join(idxDir, 'elsewhere'), join(idxDir, idx));
    expect(readHeadCommit(idxLinked)).toBeNull();

    // A fifo for HEAD: not opened for reading (that would wait for a writer for ever).
    const fifo = repo();
    rmSync(join(fifo, '.git', 'HEAD'));
    execFileSync('mkfifo', [join(fifo, '.git', 'HEAD')]);
    expect(readHeadCommit(fifo)).toBeNull();

    // An index that is not one (garbage, cut short): null, never a throw.
    const bad = repo();
    git(bad, 'gc', '-q');
    const badIdx = join(
      bad,
      '.git',
      'objects',
      'pack',
      readdirSync(join(bad, '.git', 'objects', 'pack')).find((n) => n.endsWith('.idx'))!,
    );
    writeFileSync(badIdx, Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff]));
    expect(readHeadCommit(bad)).toBeNull();
  });
});
