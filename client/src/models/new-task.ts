// "New Task": a task in the current environment, run by its ready (or first) Viber.
import type { AppModel } from './app-model.ts';
import { bindingViews } from './environment-status.ts';

/** Creates a task in the current environment and opens it; with no environment, opens Create Environment. */
export function startNewTask(app: AppModel): void {
  const env = app.ui.currentEnv.value;
  if (!env) {
    app.router.go({ view: 'env-new' });
    return;
  }
  const views = bindingViews(env, app.workspace.bindings.value, app.vibers.views.value);
  const pick =
    views.find((v) => v.status === 'ready' && v.viber?.online) ??
    views.find((v) => v.status === 'ready') ??
    views[0];
  const taskId = app.workspace.createTask({
    environmentId: env.id,
    title: 'New task',
    viberId: pick?.binding.viberId ?? '',
  });
  app.router.go({ view: 'task', taskId });
}
