// computeChanges on real git repositories, through a real runner (bwrap where it works), with the
// things a task may leave behind: renames, binaries, odd file names, secrets, floods of files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CHANGES_FILES, MAX_CHANGES_PATCH_CHARS, Redactor } from '@openviber/shared';
import { computeChanges } from './changes.ts';
import { testRunner } from '../test/test-runner.ts';
import { tempDir } from '../test/temp-dir.ts';

const SECRET = 'sk-changes-unit-0123456789';

function repo(root: string, name: string, files: Record<string, string | Buffer>) {
  const dir = join(root, 'checkouts', name);
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  return { dir, git, base: git('rev-parse', 'HEAD') };
}

describe('[A2] a task’s changes', () => {
  const runner = testRunner();
  const changes = (cwd: string, base: string) =>
    computeChanges({
      runner,
      cwd,
      root: runner.root,
      // The repositories these tests make sit below the root; the task's scratch directory too.
      reach: [runner.root],
      taskId: 'tsk_1',
      baseRevision: base,
      redactor: new Redactor([{ name: 'API_TOKEN', value: SECRET }]),
    });

  it('[R3] config a task wrote that would make git run a command (fsmonitor, a clean filter) is refused by name; nothing runs', async () => {
    const marker = join(runner.root, 'ran');
    const { dir, git, base } = repo(runner.root, 'cfg', {
      '.gitattributes': '* filter=evil\n',
      'a.txt': 'a\n',
    });
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    // Written as git would read it, with the tricks a parser can miss: a continued value, a comment.
    writeFileSync(
      join(dir, '.git', 'config'),
      readFileSync(join(dir, '.git', 'config'), 'utf8') +
        `[user] name = "x # not a comment" ; a comment \\\n[filter "evil"]\n\tclean = touch ${marker}-filter\n`,
    );
    await expect(changes(dir, base)).rejects.toThrow(/filter\.evil\.clean/);
    git('config', '--unset', 'filter.evil.clean');
    git('config', 'core.fsmonitor', `touch ${marker}-fsmonitor`);
    await expect(changes(dir, base)).rejects.toThrow(/core\.fsmonitor/);
    expect(existsSync(`${marker}-filter`) || existsSync(`${marker}-fsmonitor`)).toBe(false);
    git('config', '--unset', 'core.fsmonitor');
    // A work tree moved elsewhere (the Viber's own folder, say) would stage what lies there.
    git('config', 'core.worktree', tempDir());
    await expect(changes(dir, base)).rejects.toThrow(/core\.worktree/);
    git('config', '--unset', 'core.worktree');
    expect((await changes(dir, base)).files.map((f) => f.path)).toEqual(['a.txt']);
  });

  it('[R3] a nested repository the task committed, whose own config sets a filter, is not looked into: nothing runs', async () => {
    const marker = join(tempDir(), 'nested-filter-ran');
    const { dir, git, base } = repo(runner.root, 'nested', { 'a.txt': 'a\n' });
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const inner = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: sub,
        encoding: 'utf8',
      });
    inner('init', '-q', '-b', 'main');
    writeFileSync(join(sub, '.gitattributes'), '* filter=evil\n');
    writeFileSync(join(sub, 'f'), 'one\n');
    inner('add', '-A');
    inner('commit', '-qm', 'inner');
    inner('config', 'filter.evil.clean', `sh -c 'touch ${marker}; cat'`);
    git('add', 'sub');
    git('commit', '-qm', 'an embedded repository');
    writeFileSync(join(sub, 'f'), 'two\n');
    const result = await changes(dir, base);
    expect(result.files.map((f) => f.path)).toEqual(['sub']);
    expect(existsSync(marker)).toBe(false);
  });

  it('commits, uncommitted edits and untracked files, ignored ones left out; renames, binaries and odd names', async () => {
    const { dir, git, base } = repo(runner.root, 'b1', {
      '.gitignore': 'build/\n',
      'old-name.txt': 'a\nb\nc\nd\ne\nf\n',
      'committed.txt': 'one\n',
      'sub/deep.txt': 'x\n',
    });
    writeFileSync(join(dir, 'committed.txt'), 'one\ntwo\n');
    git('commit', '-qam', 'a commit the task made');
    renameSync(join(dir, 'old-name.txt'), join(dir, 'new-name.txt'));
    writeFileSync(join(dir, 'image.bin'), Buffer.from([0, 1, 2, 0, 255, 0]));
    writeFileSync(join(dir, '-dash file\nwith newline.txt'), `key=${SECRET}\n`);
    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'build', 'out.js'), 'ignored\n');
    const result = await changes(join(dir, 'sub'), base); // from a subdirectory (a workingDir)
    const byPath = Object.fromEntries(result.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(
      ['-dash file\nwith newline.txt', 'committed.txt', 'image.bin', 'new-name.txt'].sort(),
    );
    expect(byPath['committed.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 0 });
    expect(byPath['new-name.txt']).toMatchObject({ status: 'renamed', oldPath: 'old-name.txt' });
    expect(byPath['image.bin']).toMatchObject({ status: 'added', binary: true });
    expect(result.patch).toContain('Binary files');
    expect(result.patch).not.toContain(SECRET);
    expect(result.patch).toContain('+key=[REDACTED:API_TOKEN]');
    expect(git('status', '--porcelain')).toContain('new-name.txt'); // the task's own index is untouched
    expect(git('diff', '--cached', '--name-only')).toBe('');
  });

  it('a deleted 5 MB file and 2 MB of small edits: listed with counts, the patch stays under its budget', async () => {
    const big = 'z'.repeat(99) + '\n';
    const { dir, base } = repo(runner.root, 'b2', { 'big.txt': big.repeat(50_000) });
    rmSync(join(dir, 'big.txt'));
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `m${i}.txt`), big.repeat(500));
    const result = await changes(dir, base);
    expect(result.files.find((f) => f.path === 'big.txt')).toMatchObject({
      status: 'deleted',
      deletions: 50_000,
      truncated: true,
    });
    expect(result.files).toHaveLength(41);
    expect(result.truncated).toBe(true);
    expect(result.patch.length).toBeLessThanOrEqual(MAX_CHANGES_PATCH_CHARS);
  });

  it(`${MAX_CHANGES_FILES + 500} new files: ${MAX_CHANGES_FILES} listed, the rest counted as truncated`, async () => {
    const { dir, base } = repo(runner.root, 'b3', { 'README.md': 'x\n' });
    mkdirSync(join(dir, 'many'));
    for (let i = 0; i < MAX_CHANGES_FILES + 500; i++) writeFileSync(join(dir, 'many', `f${i}.txt`), `${i}\n`);
    const result = await changes(dir, base);
    expect(result.files).toHaveLength(MAX_CHANGES_FILES);
    expect(result.truncated).toBe(true);
  });

  it('a base revision that is not a commit id is refused before git runs', async () => {
    const { dir } = repo(runner.root, 'b4', { 'a.txt': 'a\n' });
    await expect(changes(dir, '--output=/tmp/x')).rejects.toThrow(/not a commit id/);
  });
});
