// A task's push (POST /api/tasks/:id/push writes the request into the task document): the Viber
// commits what is uncommitted in the task's working copy and pushes HEAD to the requested branch on
// the checkout's origin (the environment's remote), with GIT_TOKEN through askpass as for clones.
// The result goes to the task's changes document: pushing, then pushed (with the commit) or failed.
// A Viber pinned to its user's signing key pushes only on a request a device signed ([T5], [A3]): an
// unsigned one waits for approval, published as a refusal like a message's.
import { existsSync } from 'node:fs';
import type * as Y from 'yjs';
import {
  MAX_COMMIT_MESSAGE_LENGTH,
  PushState,
  getEnvironment,
  getTask,
  latestPushRequest,
  listBindings,
  readPushResult,
  writePushResult,
  type PushRequest,
} from '@openviber/shared';
import { openEnvironmentSecrets } from './env-secrets.ts';
import { localObservations } from './local-observations.ts';
import {
  commitTask,
  hasChangesTask,
  nestedRepositoriesTask,
  pushTask,
  stageForCommitTask,
} from './git-change-tasks.ts';
import { assertSafeGitConfig, runGit } from './git-executor.ts';
import { headRevisionTask } from './git-tasks.ts';
import type { RunJournal } from './run-journal.ts';
import type { ViberContext } from './viber-context.ts';
import { messageOf } from './viber-error.ts';
import { taskReach, worktreeDir } from './working-dir.ts';

export interface PushDeps extends ViberContext {
  workspace: Y.Doc;
  taskDoc: Y.Doc;
  changesDoc?: Y.Doc;
  /** Where each request this Viber started is recorded, so none runs twice. */
  journal: RunJournal;
}

/**
 * Handles the task's newest push request unless it was answered already (at most once per request id).
 * False while the request waits for a device's signature (a pinned Viber): the task stays open for it.
 */
export async function handlePushRequest(deps: PushDeps, taskId: string): Promise<boolean> {
  const request = latestPushRequest(deps.taskDoc);
  const doc = deps.changesDoc;
  if (!request || !doc) return true;
  const known = readPushResult(doc);
  if (known?.requestId === request.id && known.state !== PushState.pushing) return true;
  const publish = (state: PushState, commit = '', error = '') =>
    writePushResult(doc, {
      requestId: request.id,
      branch: request.branch,
      state,
      commit,
      error,
      updatedAt: Date.now(),
    });
  const task = getTask(deps.workspace, taskId);
  const env = task && getEnvironment(deps.workspace, task.environmentId);
  const binding =
    task && listBindings(deps.workspace, { environmentId: task.environmentId, viberId: deps.viberId })[0];
  // Pinned ([T5]): the request, the binding and the environment signed, else it waits (refusal published).
  if (deps.intents && task && env && binding && !deps.intents.mayPush(task, request, env, binding))
    return false;
  // At most once per request id, by this Viber's own record: the result and the order of requests are
  // the server's to rewrite, and a replayed request would commit and push whatever changed since.
  // One a crash cut off (or the server made look unanswered) is answered, not run again.
  if (deps.journal.pushHandled(taskId, request.id)) {
    publish(
      PushState.failed,
      '',
      'this push request was already run by this Viber (it was cut off, or is a replay); push again to push the current changes',
    );
    return true;
  }
  deps.journal.pushStarted(taskId, request.id);
  publish(PushState.pushing);
  let redact = (s: string) => s;
  try {
    // Checked before anything is committed: a name a peer wrote past the API never reaches git.
    const push = pushTask(request.branch, env?.repoUrl || 'origin');
    if (!task || !env || !binding) throw new Error('the task’s environment is not bound to this Viber');
    const secrets = await openEnvironmentSecrets(env, deps.viberId, deps.keys, deps.ownSecrets);
    const redactor = secrets.redactor();
    redact = (s) => redactor.redact(s);
    const cwd = env.persistVolume
      ? (localObservations(deps.stateDir).read(binding.id)?.resolvedWorkingDir ?? '')
      : worktreeDir(deps.root, taskId);
    if (!cwd || !existsSync(cwd))
      throw new Error('the task has no working copy on this Viber yet (send a message first)');
    const token = secrets.opened.find((s) => s.name === 'GIT_TOKEN')?.value;
    // Reaching this task's part of the workspace only: a git directory the task redirected
    // (commondir, .git) to another environment's repository finds nothing there.
    const git = { runner: deps.runner, cwd, redactor, reach: taskReach(deps.root, binding, env, taskId) };
    // The task could write this repository's config (a hook, a filter, another push URL): refused.
    await assertSafeGitConfig(git);
    if (await runGit(hasChangesTask(), git)) {
      await runGit(stageForCommitTask(await runGit(nestedRepositoriesTask(), git)), git);
      await runGit(commitTask(commitMessage(request, task.title)), git);
    }
    await runGit(push, { ...git, token });
    publish(PushState.pushed, await runGit(headRevisionTask(), git));
  } catch (error) {
    publish(PushState.failed, '', redact(messageOf(error)));
  }
  return true;
}

function commitMessage(request: PushRequest, title: string): string {
  const text = request.commitMessage.trim() || title.trim() || 'Changes from OpenViber';
  return text.slice(0, MAX_COMMIT_MESSAGE_LENGTH) + '\n';
}
