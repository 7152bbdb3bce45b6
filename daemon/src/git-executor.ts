// Runs GitTasks: one process per task through the Viber's runner (recorded, keys hidden), with a protocol allow-list, no
// prompts, and credentials only through GIT_ASKPASS from the GIT_TOKEN secret.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ALLOWED_PROTOCOLS, type Redactor } from '@openviber/shared';
import { viberHome } from './config.ts';
import type { GitTask } from './git-tasks.ts';
import { describeEnd, type Runner } from './runner.ts';
import { ViberError } from './viber-error.ts';

const ASKPASS = fileURLToPath(new URL('../bin/git-askpass.sh', import.meta.url));

export interface GitOptions {
  /** The Viber's one runner: git runs recorded and sandboxed like everything else. */
  runner: Runner;
  cwd: string;
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

/** Runs one git task; throws a ViberError with git's last (redacted) output when it fails. */
export async function runGit<T>(task: GitTask<T>, options: GitOptions): Promise<T> {
  const result = await options.runner.run({
    label: task.describe,
    command: {
      command: options.gitBinary ?? 'git',
      args: ['-c', 'core.askPass=' + ASKPASS, '-c', 'credential.helper=', ...task.args],
    },
    cwd: options.cwd,
    env: { ...gitEnv(options.token), ...task.env },
    input: task.input,
    redactor: options.redactor,
    onOutput: options.onOutput,
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    signal: options.signal,
    captureStdout: true,
  });
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
