// Git work described as data: which arguments, whether it talks to a remote, how to read its output.
// Only git-executor.ts runs them. URLs are validated here and always follow `--`.
import { checkBranch, checkRepoUrl } from '@openviber/shared';
import { ViberError } from './viber-error.ts';

export interface GitTask<T> {
  args: string[];
  /** Reads the (redacted) stdout of a successful run. */
  parse: (stdout: string) => T;
  /** What the task does, for logs and errors. */
  describe: string;
  /** Extra environment (GIT_INDEX_FILE for a scratch index, say). */
  env?: Record<string, string>;
  /** Written to git's stdin. */
  input?: string;
}

const trimmed = (s: string) => s.trim();
const none = () => undefined;

/** Throws unless `url` is one of the allowed transports (design §8). */
export function assertRepoUrl(url: string): void {
  const check = checkRepoUrl(url);
  if (!check.ok) throw new ViberError('repo_url_refused', `repoUrl ${check.message}; git was not run`);
}

function assertBranch(branch: string): void {
  const check = checkBranch(branch);
  if (!check.ok) throw new ViberError('branch_refused', `repoBranch ${check.message}; git was not run`);
}

export function cloneTask(url: string, dir: string, branch: string): GitTask<void> {
  assertRepoUrl(url);
  assertBranch(branch);
  const branchArgs = branch ? ['--branch', branch] : [];
  return {
    args: ['clone', '--no-recurse-submodules', ...branchArgs, '--', url, dir],
    parse: none,
    describe: 'git clone',
  };
}

export function fetchTask(branch: string): GitTask<void> {
  assertBranch(branch);
  return {
    args: ['fetch', '--prune', 'origin', ...(branch ? ['--', branch] : [])],
    parse: none,
    describe: 'git fetch',
  };
}

/** Fast-forwards the checkout to what fetch brought; refuses to throw away local commits. */
export const fastForwardTask = (): GitTask<void> => ({
  args: ['merge', '--ff-only', 'FETCH_HEAD'],
  parse: none,
  describe: 'git merge --ff-only',
});

export const remoteUrlTask = (): GitTask<string> => ({
  args: ['remote', 'get-url', 'origin'],
  parse: trimmed,
  describe: 'git remote get-url',
});

export const headRevisionTask = (): GitTask<string> => ({
  args: ['rev-parse', '--verify', 'HEAD^{commit}'],
  parse: trimmed,
  describe: 'git rev-parse',
});

export const isWorkTreeTask = (): GitTask<boolean> => ({
  args: ['rev-parse', '--is-inside-work-tree'],
  parse: (out) => out.trim() === 'true',
  describe: 'git rev-parse --is-inside-work-tree',
});

/** A detached worktree at HEAD, so a task never shares files with another. */
/** `-f -f`: over a registration of the same path a crashed add left locked ("initializing"). */
export const worktreeAddTask = (path: string): GitTask<void> => ({
  args: ['worktree', 'add', '-f', '-f', '--detach', '--', path, 'HEAD'],
  parse: none,
  describe: 'git worktree add',
});

/** The repository's worktrees: each one's path and whether it is locked (an add still running, or cut off). */
export const worktreeListTask = (): GitTask<{ path: string; locked: boolean }[]> => ({
  args: ['worktree', 'list', '--porcelain', '-z'],
  parse: (out) => {
    const list: { path: string; locked: boolean }[] = [];
    for (const field of out.split('\0')) {
      if (field.startsWith('worktree ')) list.push({ path: field.slice('worktree '.length), locked: false });
      else if ((field === 'locked' || field.startsWith('locked ')) && list.length) list.at(-1)!.locked = true;
    }
    return list;
  },
  describe: 'git worktree list',
});
