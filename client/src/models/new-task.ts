// "New Task": a draft in the current environment; the task exists once its first message is sent,
// so an abandoned draft leaves no empty task behind.
import { titleFromMessage, type Environment } from '@openviber/shared';
import type { AppModel } from './app-model.ts';
import { bindingViews } from './environment-status.ts';

/** Opens the new-task draft of the current environment; with no environment, opens Create Environment. */
export function startNewTask(app: AppModel): void {
  if (!app.ui.currentEnv.value) app.router.go({ view: 'env-new' });
  else app.router.go({ view: 'task-new' });
}

/** The Viber a new task of `env` runs on: a ready and online one, else a ready one, else the first mapped. */
export function pickViber(app: AppModel, env: Environment): string {
  const views = bindingViews(env, app.workspace.bindings.value, app.vibers.views.value);
  const pick =
    views.find((v) => v.status === 'ready' && v.viber?.online) ??
    views.find((v) => v.status === 'ready') ??
    views[0];
  return pick?.binding.viberId ?? '';
}

/** Creates the task with its first message (title from the message's first line) and opens it. */
export function createTaskWithMessage(app: AppModel, env: Environment, text: string): string {
  const title = titleFromMessage(text);
  const viberId = pickViber(app, env);
  const taskId = app.workspace.createTask({ environmentId: env.id, title, viberId });
  // Kept before this returns, signed before it is written ([T4]); the store then keeps the document
  // open until the server has the message (or reopens it next start).
  void app.outbox.send({ taskId, environmentId: env.id, viberId, text });
  app.router.go({ view: 'task', taskId });
  return taskId;
}
