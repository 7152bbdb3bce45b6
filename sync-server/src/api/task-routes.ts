// /api/tasks: task metadata in the workspace, messages and cancels in the task's own document.
import { taken } from './claims.ts';
import {
  appendMessage,
  changesDocName,
  createTask,
  deleteTask,
  findPushRequest,
  getEnvironment,
  getTask,
  isFinalRunState,
  latestPushRequest,
  listBindings,
  listMessages,
  listRuns,
  listTasks,
  messageCreateSchema,
  patchTask,
  PushState,
  pushCreateSchema,
  pushView,
  readChanges,
  readPushResult,
  requestCancel,
  requestPush,
  runOutputDocName,
  taskCreateSchema,
  taskDocName,
  taskPatchSchema,
  touchTask,
  workspaceDocName,
  type PushRequest,
  type Task,
} from '@openviber/shared';
import { HttpError, notFound, validationError } from '../http/http-error.ts';
import { withStatus, type Router } from '../http/router.ts';
import { requireUser, type Services } from './api-context.ts';
import { parseBody } from './parse-body.ts';

/** How the API shows a push request its Viber has not answered yet. */
const pushingNow = (request: PushRequest) => ({
  branch: request.branch,
  state: PushState.pushing,
  commit: '',
  error: '',
  requestId: request.id,
});

export function taskRoutes(router: Router, s: Services): void {
  const findTask = async (userId: string, id: string): Promise<Task> => {
    const task = await s.docs.read(workspaceDocName(userId), (doc) => getTask(doc, id));
    if (!task) throw notFound(`task '${id}'`);
    return task;
  };
  /** The latest push as `pushView` reads it; an unanswered newest request is shown `pushing`. */
  const pushOf = async (userId: string, task: Task) => {
    const requested = await s.docs.read(taskDocName(userId, task.id), latestPushRequest);
    const result =
      requested && task.viberId
        ? await s.docs.read(changesDocName(userId, task.viberId, task.id), readPushResult)
        : null;
    const view = pushView(requested, result);
    if (view.state === 'none' || !view.request) return null;
    if (view.state === 'requested') return pushingNow(view.request);
    const { branch, state, commit, error, requestId, updatedAt } = view.result;
    return { branch, state, commit, error, requestId, updatedAt };
  };
  const runsOf = async (userId: string, task: Task) =>
    task.viberId ? await s.docs.read(runOutputDocName(userId, task.viberId, task.id), listRuns) : new Map();

  router.on('POST', '/api/tasks', async ({ req }) => {
    const user = await requireUser(s, req);
    const input = await parseBody(taskCreateSchema, req);
    const task = await s.docs.write(workspaceDocName(user.userId), (doc) => {
      if (!getEnvironment(doc, input.environmentId)) {
        throw validationError(`environmentId: no environment '${input.environmentId}'`, [
          { field: 'environmentId', message: 'is not an environment of yours' },
        ]);
      }
      const bound = listBindings(doc, { environmentId: input.environmentId }).map((b) => b.viberId as string);
      if (input.viberId && !bound.includes(input.viberId)) {
        throw validationError('viberId: is not bound to this environment', [
          { field: 'viberId', message: 'is not bound to this environment' },
        ]);
      }
      const viberId = input.viberId ?? bound[0] ?? '';
      return getTask(
        doc,
        createTask(doc, { environmentId: input.environmentId, title: input.title, viberId }),
      )!;
    });
    return withStatus(201, task);
  });

  router.on('GET', '/api/tasks', async ({ req, query }) => {
    const user = await requireUser(s, req);
    const environmentId = query.get('environmentId') ?? undefined;
    return s.docs.read(workspaceDocName(user.userId), (doc) => listTasks(doc, { environmentId }));
  });

  router.on('GET', '/api/tasks/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const task = await findTask(user.userId, params.id);
    const messages = await s.docs.read(taskDocName(user.userId, task.id), listMessages);
    const runs = await runsOf(user.userId, task);
    const push = await pushOf(user.userId, task);
    return {
      task,
      messages,
      runs: messages.flatMap((m) => (runs.has(m.id) ? [runs.get(m.id)] : [])),
      push,
    };
  });

  // The task's changes as its Viber last published them (after each message's run).
  router.on('GET', '/api/tasks/:id/changes', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const task = await findTask(user.userId, params.id);
    const changes = task.viberId
      ? await s.docs.read(changesDocName(user.userId, task.viberId, task.id), readChanges)
      : null;
    if (!changes) throw notFound(`changes of task '${task.id}'`);
    const { baseRevision, files, patch, truncated, updatedAt } = changes;
    return {
      baseRevision,
      files: files.map(
        ({ path, status, additions, deletions, binary, truncated: cut, patchBytes, oldPath }) => ({
          path,
          ...(oldPath ? { oldPath } : {}),
          status,
          additions,
          deletions,
          binary,
          patchBytes,
          truncated: cut,
        }),
      ),
      patch,
      truncated,
      updatedAt,
    };
  });

  // Intent only: the request goes into the task document; its Viber commits, pushes and publishes the result.
  router.on('POST', '/api/tasks/:id/push', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const { branch, commitMessage, requestId, signature } = await parseBody(pushCreateSchema, req);
    const task = await findTask(user.userId, params.id);
    const write = () =>
      s.docs.write(taskDocName(user.userId, task.id), (doc) => {
        // A caller-chosen id (a script that signed the push, [T4]) must be new in this task.
        if (requestId && findPushRequest(doc, requestId)) return null;
        return requestPush(
          doc,
          commitMessage === undefined ? { branch } : { branch, commitMessage },
          Date.now(),
          requestId ? { requestId, signature: signature ?? '' } : undefined,
        );
      });
    // As for a message: the same id sent to two processes at once is decided by one claim.
    const request = requestId
      ? await s.claims.hold(`push:${user.userId}:${task.id}:${requestId}`, write)
      : await write();
    if (!request || request === taken)
      throw new HttpError('conflict', `push request '${requestId}' already exists in this task`, {
        field: 'requestId',
      });
    // [V3] the Viber opens a task only when its updatedAt moved.
    await s.docs.writeExempt(workspaceDocName(user.userId), (doc) => touchTask(doc, task.id));
    return withStatus(202, {
      request,
      push: pushingNow(request),
    });
  });

  router.on('PUT', '/api/tasks/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const patch = await parseBody(taskPatchSchema, req);
    return s.docs.write(workspaceDocName(user.userId), (doc) => {
      if (!patchTask(doc, params.id, patch)) throw notFound(`task '${params.id}'`);
      return getTask(doc, params.id)!;
    });
  });

  // [D7] The task entry, its document and its run outputs on every Viber; Vibers remove its worktrees.
  router.on('DELETE', '/api/tasks/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const found = await s.docs.writeExempt(workspaceDocName(user.userId), (doc) =>
      deleteTask(doc, params.id),
    );
    if (!found) throw notFound(`task '${params.id}'`);
    await s.deletions.collectOrRetry(user.userId);
    return { deleted: true };
  });

  router.on('POST', '/api/tasks/:id/messages', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const { text, messageId, signature } = await parseBody(messageCreateSchema, req);
    const task = await findTask(user.userId, params.id);
    const append = () =>
      s.docs.write(taskDocName(user.userId, task.id), (doc) => {
        // A caller-chosen id (a script that signed the message, [T4]) must be new in this task.
        if (messageId && listMessages(doc).some((m) => m.id === messageId)) return null;
        appendMessage(
          doc,
          text,
          user.userId,
          Date.now(),
          messageId ? { messageId, signature: signature ?? '' } : undefined,
        );
        return listMessages(doc);
      });
    // The same id sent to two processes at once: each copy of the task lacks it; one claim decides.
    const messages = messageId
      ? await s.claims.hold(`message:${user.userId}:${task.id}:${messageId}`, append)
      : await append();
    if (!messages || messages === taken)
      throw new HttpError('conflict', `message '${messageId}' already exists in this task`, {
        field: 'messageId',
      });
    await s.docs.writeExempt(workspaceDocName(user.userId), (doc) => touchTask(doc, task.id));
    return withStatus(201, messages[messages.length - 1]);
  });

  router.on('POST', '/api/tasks/:id/cancel', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const task = await findTask(user.userId, params.id);
    const runs = await runsOf(user.userId, task);
    const cancelled = await s.docs.writeExempt(taskDocName(user.userId, task.id), (doc) => {
      const open = listMessages(doc).filter(
        (m) => !(runs.get(m.id) && isFinalRunState(runs.get(m.id).state)),
      );
      requestCancel(
        doc,
        open.map((m) => m.id),
      );
      return open.map((m) => m.id);
    });
    return { cancelled };
  });
}
