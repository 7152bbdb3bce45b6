// Runs one task message in its environment and records it in the run document ([D4]): state,
// exit code, times, and live output that is redacted, batched and bounded.
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as Y from 'yjs';
import {
  BindingStrategy,
  RunState,
  appendRunOutput,
  MAX_RUN_OUTPUT_CHARS,
  getRun,
  readBaseRevision,
  writeBaseRevision,
  writeChanges,
  Redactor,
  writeRun,
  writeTaskRunSummary,
  type Binding,
  type Environment,
  type Message,
  type Observation,
  isFinalRunState,
} from '@openviber/shared';
import { RUN_OUTPUT_BATCH } from './batched-writer.ts';
import { writeConfined, type TaskFiles } from './confined-files.ts';
import { openEnvironmentSecrets, phaseEnv } from './env-secrets.ts';
import { assertSafeGitConfig, runGit } from './git-executor.ts';
import { headRevisionTask, isWorkTreeTask, worktreeAddTask, worktreeListTask } from './git-tasks.ts';
import { replaceFile } from './durable-file.ts';
import { computeChanges } from './changes.ts';
import {
  excludeOurFiles,
  OPENVIBER_DIR,
  recordTranscriptEntry,
  TRANSCRIPT_OUTPUT_CHARS,
  writeTranscript,
} from './transcript.ts';
import { seedWorktree } from './worktree-seed.ts';
import { describeEnd } from './runner.ts';
import { cacheVolumeName } from './sandbox.ts';
import { messageCommand } from './task-command.ts';
import type { ViberContext } from './viber-context.ts';
import { messageOf, ViberError } from './viber-error.ts';
import { resolveWorkingDir, taskReach, worktreeDir } from './working-dir.ts';

export interface TaskRunDeps extends ViberContext {
  runDoc: Y.Doc;
  /** The task's messages: the transcript an agent reads is made from them. */
  taskDoc?: Y.Doc;
  /** The task's changes document (`…/changes/<taskId>`); none: changes are not published. */
  changesDoc?: Y.Doc;
  timeoutMs: number;
  graceMs?: number;
}

export interface MessageJob {
  taskId: string;
  message: Message;
  env: Environment;
  binding: Binding;
  observation: Observation;
  /** Aborted with reason 'cancel' or 'shutdown'. */
  signal: AbortSignal;
}

/** Runs the message and records its final state, which it also returns. */
export async function runMessage(deps: TaskRunDeps, job: MessageJob): Promise<RunState> {
  const { taskId, message } = job;
  let tail = '';
  const record = (fields: Parameters<typeof writeRun>[2]) => {
    writeRun(deps.runDoc, message.id, fields);
    if (fields.state && isFinalRunState(fields.state))
      recordTranscriptEntry(deps.stateDir, taskId, {
        messageId: message.id,
        text: message.text,
        state: fields.state,
        exitCode: fields.exitCode ?? null,
        error: fields.error ?? '',
        output: tail,
      });
    if (fields.state)
      writeTaskRunSummary(deps.viberDoc, taskId, {
        messageId: message.id,
        state: fields.state,
        updatedAt: Date.now(),
      });
  };
  record({ state: RunState.started, startedAt: Date.now(), exitCode: null, error: '' });
  // Until the environment's secrets are open, the Viber's own are what is redacted.
  let redactor = new Redactor(deps.ownSecrets);
  /** Stopped before its command started (a cancel or a shutdown during the worktree's seeding, say). */
  const stoppedEarly = () =>
    job.signal.reason === 'shutdown'
      ? record({
          state: RunState.interrupted,
          endedAt: Date.now(),
          error: 'the Viber shut down before this started',
        })
      : record({ state: RunState.cancelled, endedAt: Date.now(), error: 'cancelled before it started' });
  let progressed = false;
  const onOutput = (text: string, dropped: number) => {
    appendRunOutput(deps.runDoc, message.id, text, MAX_RUN_OUTPUT_CHARS, dropped);
    tail = (tail + text).slice(-TRANSCRIPT_OUTPUT_CHARS);
    if (!progressed) {
      progressed = true;
      record({ state: RunState.progress });
    }
  };
  try {
    const secrets = await openEnvironmentSecrets(job.env, deps.viberId, deps.keys, deps.ownSecrets);
    redactor = secrets.redactor();
    const { cwd, git } = await taskDir(deps, job);
    // The daemon's own work for the task reaches what the task does, and its scratch directory.
    const files = {
      runner: deps.runner,
      reach: taskReach(deps.root, job.binding, job.env, taskId, true),
      cwd,
    };
    if (git) await excludeOurFiles(files);
    const agentEnv = await writeTranscript(files, deps.stateDir, taskId, message.id, deps.taskDoc);
    const env = { ...phaseEnv(job.env, secrets.opened, 'task'), ...agentEnv };
    if (job.signal.aborted)
      return (stoppedEarly(), getRun(deps.runDoc, message.id)?.state ?? RunState.cancelled);
    const result = await deps.runner.run({
      label: `task ${taskId} message ${message.id}`,
      command: messageCommand(message.text, job.env.agentCommand),
      policy: {
        network: job.env.networkAccess,
        containerImage: job.env.containerImage,
        cacheVolume: cacheVolumeName(job.env.id),
      },
      // A message id is new within its task only (a script may choose it, [T4]): the task's id too.
      containerName: runContainerName(taskId, message.id),
      cwd,
      // Its worktree and its environment's checkout, whose git directory the worktree's commits go
      // to; no other environment's files, nor other tasks' worktrees.
      reach: taskReach(deps.root, job.binding, job.env, taskId),
      env: { ...process.env, ...env },
      containerEnvKeys: Object.keys(env),
      redactor,
      onOutput,
      bounded: { keepChars: MAX_RUN_OUTPUT_CHARS, batch: RUN_OUTPUT_BATCH },
      timeoutMs: deps.timeoutMs,
      graceMs: deps.graceMs,
      signal: job.signal,
    });
    if (git && job.signal.reason !== 'shutdown') {
      await publishChanges(deps, taskId, files, redactor).catch((error: unknown) =>
        appendRunOutput(
          deps.runDoc,
          message.id,
          redactor.redact(`\n[viber] changes not updated: ${messageOf(error)}\n`),
        ),
      );
    }
    const ended = { exitCode: result.exitCode, endedAt: Date.now() };
    if (result.cancelled && job.signal.reason === 'shutdown') {
      record({ ...ended, state: RunState.interrupted, error: 'the Viber shut down while this ran' });
    } else if (result.cancelled) {
      record({ ...ended, state: RunState.cancelled, error: 'cancelled' });
    } else if (result.timedOut) {
      record({
        ...ended,
        state: RunState.error,
        error: `timed out after ${Math.round(deps.timeoutMs / 1000)} s; the process tree was stopped`,
      });
    } else if (result.exitCode === 0) {
      record({ ...ended, state: RunState.completed });
    } else {
      record({ ...ended, state: RunState.error, error: `the command ${describeEnd(result)}` });
    }
  } catch (error) {
    if (job.signal.aborted) stoppedEarly();
    else record({ state: RunState.error, endedAt: Date.now(), error: redactor.redact(messageOf(error)) });
  }
  return getRun(deps.runDoc, message.id)?.state ?? RunState.error;
}

/**
 * The binding's working dir, or (no persisted volume) the task's own git worktree of it, seeded with
 * what setup produced. The revision the task starts from is recorded for its changes.
 */
async function taskDir(deps: TaskRunDeps, job: MessageJob): Promise<{ cwd: string; git: boolean }> {
  const base = job.observation.resolvedWorkingDir;
  if (!base || !existsSync(base))
    throw new ViberError('no_working_dir', 'the environment has no prepared working directory on this Viber');
  // Every git here reaches this task's part of the workspace only (a filter or a redirected git
  // directory the repository sets up finds no other environment's files).
  const reach = taskReach(deps.root, job.binding, job.env, job.taskId);
  if (job.env.persistVolume) {
    // A recorded base revision means a work tree (checked at the task's first message): not again.
    if (deps.changesDoc && readBaseRevision(deps.changesDoc)) return { cwd: base, git: true };
    const git =
      mayBeInGitWorkTree(base) &&
      (await runGit(isWorkTreeTask(), { runner: deps.runner, cwd: base, reach }).catch(() => false));
    if (git && deps.changesDoc && !readBaseRevision(deps.changesDoc))
      writeBaseRevision(
        deps.changesDoc,
        await runGit(headRevisionTask(), { runner: deps.runner, cwd: base, reach }),
      );
    return { cwd: base, git };
  }
  const tree = worktreeDir(deps.root, job.taskId);
  const seeded = join(tree, OPENVIBER_DIR, 'seeded');
  try {
    if (!(await worktreeComplete(deps, job.taskId, base, tree, reach))) {
      // git checks files out with the checkout's config: nothing there may run a command.
      await assertSafeGitConfig({ runner: deps.runner, cwd: base, reach });
      // Made first (empty), so the sandboxed git reaches it; git adds a worktree in an empty folder.
      // A worktree a crash cut off mid-add (its files half checked out) is added again over it.
      rmSync(tree, { recursive: true, force: true });
      mkdirSync(tree, { recursive: true });
      await runGit(worktreeAddTask(tree), { runner: deps.runner, cwd: base, reach });
      markWorktreeAdded(deps.stateDir, job.taskId);
    }
    if (deps.changesDoc && !readBaseRevision(deps.changesDoc))
      writeBaseRevision(
        deps.changesDoc,
        await runGit(headRevisionTask(), { runner: deps.runner, cwd: tree, reach }),
      );
    // A crash between the worktree and its seed leaves no marker: the next message seeds again.
    if (!existsSync(seeded)) {
      await seedWorktree({ runner: deps.runner, checkout: base, worktree: tree, reach, signal: job.signal });
      await writeConfined({ runner: deps.runner, reach, cwd: tree }, seeded, new Date().toISOString() + '\n');
    }
  } catch (cause) {
    throw new ViberError(
      'worktree_failed',
      `cannot give the task its own worktree (the environment does not persist its volume): ${messageOf(cause)}`,
      { cause },
    );
  }
  const cwd = resolveWorkingDir(deps.root, tree, job.env.workingDir, BindingStrategy.clone);
  return { cwd, git: true };
}

/** Where the daemon records that a task's worktree was added whole (git's own add can be cut off). */
const worktreeAddedFile = (stateDir: string, taskId: string) => join(stateDir, 'worktrees', taskId);

function markWorktreeAdded(stateDir: string, taskId: string): void {
  mkdirSync(join(stateDir, 'worktrees'), { recursive: true, mode: 0o700 });
  replaceFile(worktreeAddedFile(stateDir, taskId), '');
}

/**
 * True when the task's worktree was added whole: recorded so, or (made by an older daemon) git
 * lists it as a worktree that is not locked — git locks a worktree "initializing" for the length of
 * its add, so one a kill -9 cut off (a few of its files checked out; its changes would read as the
 * rest deleted) stays locked.
 */
async function worktreeComplete(
  deps: TaskRunDeps,
  taskId: string,
  base: string,
  tree: string,
  reach: string[],
) {
  if (existsSync(worktreeAddedFile(deps.stateDir, taskId))) return true;
  if (!existsSync(join(tree, '.git'))) return false;
  const listed = await runGit(worktreeListTask(), { runner: deps.runner, cwd: base, reach });
  const real = realpathSync(tree);
  const entry = listed.find((w) => w.path === tree || w.path === real);
  if (!entry || entry.locked) return false;
  markWorktreeAdded(deps.stateDir, taskId);
  return true;
}

/** Computes the task's changes against its base revision and publishes them. */
async function publishChanges(
  deps: TaskRunDeps,
  taskId: string,
  files: TaskFiles,
  redactor: Redactor,
): Promise<void> {
  if (!deps.changesDoc) return;
  const baseRevision = readBaseRevision(deps.changesDoc);
  if (!baseRevision) return;
  const changes = await computeChanges({
    runner: deps.runner,
    cwd: files.cwd,
    reach: [...files.reach],
    root: deps.root,
    taskId,
    baseRevision,
    redactor,
  });
  writeChanges(deps.changesDoc, changes);
}

/**
 * Whether git could find a work tree at `dir`: a `.git` (folder or file) there or in a folder above, or
 * git told where by the environment. When not, git need not be asked (a process per message of a
 * task in a folder that is no repository). Looking all the way up is more than git does (it stops at
 * GIT_CEILING_DIRECTORIES), so a "maybe" is still settled by git itself.
 */
export function mayBeInGitWorkTree(dir: string): boolean {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return true;
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return true;
    if (dirname(at) === at) return false;
  }
}

/** The engine's name for a message's container: unique per task and message. */
export const runContainerName = (taskId: string, messageId: string) => `viber-run-${taskId}-${messageId}`;
