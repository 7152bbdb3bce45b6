// Real git repositories for tests: a bare repo in a temp folder, filled from a map of files.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './temp-dir.ts';

export interface TestRepo {
  bare: string;
  url: string;
  /** Commits and pushes more files; returns the new revision. */
  commit(files: Record<string, string>, message?: string): string;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  ).trim();

/** A bare repo on branch main holding `files` (names ending in .sh are made executable). */
export function makeRepo(files: Record<string, string>): TestRepo {
  const root = tempDir('viber-repo-');
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  git(root, 'init', '--bare', bare);
  git(root, 'init', work);
  const commit = (more: Record<string, string>, message = 'change') => {
    for (const [name, content] of Object.entries(more)) {
      const path = join(work, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      if (name.endsWith('.sh')) chmodSync(path, 0o755);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '-m', message);
    git(work, 'push', bare, 'HEAD:main');
    return git(work, 'rev-parse', 'HEAD');
  };
  commit(files, 'initial');
  return { bare, url: `file://${bare}`, commit };
}
