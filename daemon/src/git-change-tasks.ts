// Git commands behind a task's changes and its push, as data (git-tasks.ts). A scratch index
// (GIT_INDEX_FILE) holds "everything in the working tree, .gitignore respected", so uncommitted and
// untracked files are compared without touching the task's own index.
import { checkPushBranch } from '@openviber/shared';
import type { GitTask } from './git-tasks.ts';
import { ViberError } from './viber-error.ts';

const trimmed = (s: string) => s.trim();
const none = () => undefined;

/** One entry of `git diff --raw -z`: blob ids, status letter, path(s). */
export interface RawEntry {
  oldBlob: string;
  newBlob: string;
  status: string;
  path: string;
  oldPath?: string;
}

/** A path relative to the repository's top, as git names it in its own files. */
export const gitPathTask = (name: string): GitTask<string> => ({
  args: ['rev-parse', '--git-path', name],
  parse: trimmed,
  describe: 'git rev-parse --git-path',
});

/** Where the index and the config files of the working copy at cwd are (one process for all three). */
export const gitPathsTask = (): GitTask<{ index: string; config: string; worktreeConfig: string }> => ({
  args: ['rev-parse', '--git-path', 'index', '--git-path', 'config', '--git-path', 'config.worktree'],
  parse: (out) => {
    const [index, config, worktreeConfig] = out.split('\n').map((l) => l.trim());
    return { index, config, worktreeConfig };
  },
  describe: 'git rev-parse --git-path',
});

export const topLevelTask = (): GitTask<string> => ({
  args: ['rev-parse', '--show-toplevel'],
  parse: trimmed,
  describe: 'git rev-parse --show-toplevel',
});

/** Stages the whole working tree (untracked too, ignored files not) into `index`. */
/**
 * Stages the whole working tree but the nested repositories (`nested`: gitlinks in the index): `git
 * add` looks into each with a `git status` there, which runs the filters that repository's own
 * config names — config the daemon never checked, a command on the host. A nested repository is
 * staged as the task staged or committed it.
 */
export const stageAllTask = (index?: string, nested: string[] = []): GitTask<void> => ({
  args: ['add', '--all', '--', ':/', ...nested.map((path) => `:(top,literal,exclude)${path}`)],
  parse: none,
  describe: 'git add --all',
  ...(index ? { env: { GIT_INDEX_FILE: index } } : {}),
});

/** The paths of the nested repositories (gitlinks, mode 160000) in the index (`index`, else the repository's). */
export const nestedRepositoriesTask = (index?: string): GitTask<string[]> => ({
  args: ['ls-files', '-z', '--stage', '--', ':/'],
  parse: (out) =>
    out
      .split('\0')
      .filter((entry) => entry.startsWith('160000 '))
      .map((entry) => entry.slice(entry.indexOf('\t') + 1)),
  describe: 'git ls-files --stage',
  ...(index ? { env: { GIT_INDEX_FILE: index } } : {}),
});

const diffArgs = (base: string, format: string[]) => [
  'diff',
  '--cached',
  '--find-renames',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  ...format,
  base,
];

function assertRevision(rev: string): void {
  if (!/^[0-9a-f]{7,64}$/.test(rev))
    throw new ViberError('revision_refused', `base revision '${rev}' is not a commit id`);
}

/** Which files differ between `base` and the scratch index, with blob ids (sizes come from cat-file). */
export function diffRawTask(index: string, base: string): GitTask<RawEntry[]> {
  assertRevision(base);
  return {
    args: [...diffArgs(base, ['--raw', '-z', '--abbrev=64'])],
    env: { GIT_INDEX_FILE: index },
    parse: parseRaw,
    describe: 'git diff --raw',
  };
}

/** Added and deleted line counts per path (`null` for binary files). */
export function diffNumstatTask(
  index: string,
  base: string,
): GitTask<Map<string, { additions: number; deletions: number } | null>> {
  assertRevision(base);
  return {
    args: diffArgs(base, ['--numstat', '-z']),
    env: { GIT_INDEX_FILE: index },
    parse: parseNumstat,
    describe: 'git diff --numstat',
  };
}

/** The unified patch of exactly `paths` (a bounded list: only what will be published is ever diffed). */
export function diffPatchTask(index: string, base: string, paths: string[]): GitTask<string> {
  assertRevision(base);
  return {
    args: [...diffArgs(base, ['--patch', '--full-index']), '--', ...paths.map((p) => `:(top,literal)${p}`)],
    env: { GIT_INDEX_FILE: index },
    parse: (out) => out,
    describe: 'git diff --patch',
  };
}

/** Sizes of blobs (`git cat-file --batch-check`), read from stdin. */
export const blobSizesTask = (blobs: string[]): GitTask<Map<string, number>> => ({
  args: ['cat-file', '--batch-check=%(objectname) %(objectsize)'],
  input: blobs.join('\n') + '\n',
  parse: (out) => {
    const sizes = new Map<string, number>();
    for (const line of out.split('\n')) {
      const [id, size] = line.split(' ');
      if (id && size && /^\d+$/.test(size)) sizes.set(id, Number(size));
    }
    return sizes;
  },
  describe: 'git cat-file --batch-check',
});

/** Ignored entries of a checkout (directories collapsed): what setup produced beside the tracked files. */
export const ignoredEntriesTask = (): GitTask<string[]> => ({
  args: ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
  parse: (out) =>
    out
      .split('\0')
      .filter(Boolean)
      .map((p) => p.replace(/\/$/, '')),
  describe: 'git ls-files --ignored',
});

const IDENTITY = ['-c', 'user.name=OpenViber', '-c', 'user.email=viber@openviber.invalid'];

/** Stages everything in the task's own index (for a commit). */
export const stageForCommitTask = (nested: string[]): GitTask<void> => stageAllTask(undefined, nested);

/** True when the working tree or index differs from HEAD (there is something to commit). */
export const hasChangesTask = (): GitTask<boolean> => ({
  // Nested repositories not looked into (their config could make git run a command: stageAllTask).
  args: ['status', '--porcelain', '-z', '--untracked-files=all', '--ignore-submodules=all'],
  parse: (out) => out.length > 0,
  describe: 'git status',
});

/** Commits the staged files; the message goes through stdin (never the command line). */
export const commitTask = (message: string): GitTask<void> => ({
  args: [...IDENTITY, 'commit', '--no-verify', '--file=-'],
  input: message,
  parse: none,
  describe: 'git commit',
});

/** Pushes HEAD to `branch` on origin. */
/**
 * Pushes HEAD to `branch` of `target`: the environment's own repository URL when it has one (what the
 * user signed), not whatever `origin` a task may have pointed elsewhere.
 */
export function pushTask(branch: string, target = 'origin'): GitTask<void> {
  const check = checkPushBranch(branch);
  if (!check.ok) throw new ViberError('branch_refused', `branch ${check.message}; git was not run`);
  return {
    args: ['push', '--porcelain', '--', target, `HEAD:refs/heads/${branch}`],
    parse: none,
    describe: 'git push',
  };
}

function parseRaw(out: string): RawEntry[] {
  const parts = out.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i < parts.length;) {
    const head = parts[i++];
    if (!head?.startsWith(':')) continue;
    const [, , oldBlob, newBlob, status] = head.slice(1).split(' ');
    const letter = status?.[0] ?? 'M';
    if (letter === 'R' || letter === 'C') {
      const oldPath = parts[i++];
      const path = parts[i++];
      entries.push({ oldBlob, newBlob, status: letter, path, oldPath });
    } else entries.push({ oldBlob, newBlob, status: letter, path: parts[i++] });
  }
  return entries;
}

function parseNumstat(out: string): Map<string, { additions: number; deletions: number } | null> {
  const parts = out.split('\0');
  const stats = new Map<string, { additions: number; deletions: number } | null>();
  for (let i = 0; i < parts.length;) {
    const head = parts[i++];
    if (!head) continue;
    const [add, del, path] = head.split('\t');
    // A rename: "add\tdel\t" then the old and the new path as their own fields.
    const name = path === '' || path === undefined ? (i++, parts[i++]) : path;
    stats.set(name, add === '-' ? null : { additions: Number(add), deletions: Number(del) });
  }
  return stats;
}
