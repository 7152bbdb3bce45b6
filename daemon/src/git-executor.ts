// Runs GitTasks: one process per task through the Viber's runner (recorded, keys hidden), with a protocol allow-list, no
// prompts, and credentials only through GIT_ASKPASS from the GIT_TOKEN secret.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ALLOWED_PROTOCOLS, type Redactor } from '@openviber/shared';
import { viberHome } from './config.ts';
import { linkFreeBelow, readTextNoFollow } from './confined-files.ts';
import { gitConfigKeys } from './git-config-keys.ts';
import type { GitTask } from './git-tasks.ts';
import { describeEnd, type Runner } from './runner.ts';
import { MAX_CAPTURED_STDOUT_BYTES } from './limits.ts';
import { ViberError } from './viber-error.ts';

const ASKPASS = fileURLToPath(new URL('../bin/git-askpass.sh', import.meta.url));

export interface GitOptions {
  /** The Viber's one runner: git runs recorded and sandboxed like everything else. */
  runner: Runner;
  cwd: string;
  /**
   * What of the workspace root git may reach (runner.ts): the binding's checkout, a task's worktree.
   * A command a repository makes git run then reaches no other environment. Omitted: `cwd` alone.
   */
  reach?: string[];
  /** GIT_TOKEN secret for https remotes; handed to git only through GIT_ASKPASS. */
  token?: string;
  redactor?: Redactor;
  /** Redacted progress output. */
  onOutput?: (text: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The git binary (tests point this at a recorder). */
  gitBinary?: string;
}

/**
 * The environment every git process gets. Git never looks for a repository in $VIBER_HOME or above
 * it (GIT_CEILING_DIRECTORIES): when the home sits inside a repository (a dotfiles home), a checkout
 * that is not a repository of its own must not be taken for that one, nor get worktrees added to it.
 */
export function gitEnv(token?: string): NodeJS.ProcessEnv {
  const ceilings = [resolve(viberHome()), process.env.GIT_CEILING_DIRECTORIES].filter(Boolean);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_CEILING_DIRECTORIES: ceilings.join(':'),
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: ASKPASS,
    SSH_ASKPASS: ASKPASS,
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
  };
  if (token) env.VIBER_GIT_TOKEN = token;
  else delete env.VIBER_GIT_TOKEN;
  return env;
}

/**
 * What a repository's own config may not make git run here: hooks and the fsmonitor hook are off for
 * every git the daemon runs. A task (or another environment's setup) can write a checkout's `.git`,
 * and git runs hooks with the network and, for a push, the GIT_TOKEN.
 */
// Nested repositories are not looked into either (their config is not checked: a filter there ran at
// every changes computation).
const GIT_HARDENING = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'diff.ignoreSubmodules=dirty',
  '-c',
  'submodule.recurse=false',
];

/**
 * Keys of a repository's local config that make git run a command, or send data (and the token)
 * elsewhere: refused before the daemon runs git on a working copy a task could write.
 */
const UNSAFE_GIT_CONFIG =
  /^(core\.(fsmonitor|hookspath|sshcommand|askpass|gitproxy|editor|pager|alternaterefscommand|worktree)|filter\.|diff\.[^.]+\.(textconv|command)|merge\.[^.]+\.driver|credential\.|url\.|http\.|include\.|includeif\.|alias\.|remote\.[^.]+\.(pushurl|uploadpack|receivepack|proxy|vcs)|protocol\.|uploadpack\.|receive\.|sequence\.editor|gpg\.|ssh\.)/i;

/** Throws (naming the key) when the repository at `cwd` has local config that would make git run something. */
export async function assertSafeGitConfig(
  options: GitOptions,
  /** The repository's config files, read in process when they sit below one of `roots` with no link on the way. */
  files?: { roots: readonly string[]; paths: string[] },
): Promise<void> {
  if (files) {
    const texts = files.paths.map((p) =>
      files.roots.some((root) => linkFreeBelow(root, p)) ? readTextNoFollow(p) : null,
    );
    if (texts.every((t) => t !== null)) return refuseUnsafe(texts.flatMap((t) => gitConfigKeys(t!)));
  }
  // One process: every key with its scope; the repository's own (local, worktree) are checked.
  const keys = await runGit(
    {
      args: ['config', '--list', '--name-only', '--show-scope'],
      parse: (out) =>
        out
          .split('\n')
          .map((line) => line.split('\t'))
          .filter(([scope, key]) => key && (scope === 'local' || scope === 'worktree'))
          .map(([, key]) => key),
      describe: 'git config --list',
    },
    options,
  );
  refuseUnsafe(keys);
}

function refuseUnsafe(keys: string[]): void {
  const unsafe = keys.find((key) => UNSAFE_GIT_CONFIG.test(key));
  if (unsafe)
    throw new ViberError(
      'git_config_refused',
      `the repository's git config sets ${unsafe}, which would make git run a command or send data elsewhere; git was not run (remove it with \`git config --unset ${unsafe}\`)`,
    );
}

/** Runs one git task; throws a ViberError with git's last (redacted) output when it fails. */
export async function runGit<T>(task: GitTask<T>, options: GitOptions): Promise<T> {
  const result = await options.runner.run({
    label: task.describe,
    command: {
      command: options.gitBinary ?? 'git',
      args: [...GIT_HARDENING, '-c', 'core.askPass=' + ASKPASS, '-c', 'credential.helper=', ...task.args],
    },
    cwd: options.cwd,
    reach: options.reach,
    env: { ...gitEnv(options.token), ...task.env },
    input: task.input,
    redactor: options.redactor,
    onOutput: options.onOutput,
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    signal: options.signal,
    captureStdout: true,
  });
  if (result.stdoutTooLarge)
    throw new ViberError(
      'git_output_too_large',
      `${task.describe} printed more than ${MAX_CAPTURED_STDOUT_BYTES / 1024 / 1024} MB and was stopped (too many files?)`,
    );
  if (result.exitCode !== 0) {
    throw new ViberError(
      'git_failed',
      `${task.describe} ${describeEnd(result)}: ${lastLines(result.tail, 8)}`,
    );
  }
  return task.parse(result.stdout);
}

/** The last `n` non-empty lines of some output. */
export function lastLines(text: string, n: number): string {
  return text
    .split(/\r?\n|\r/)
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');
}
