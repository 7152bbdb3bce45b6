// With nothing open: the next steps for a new user, or a nudge to pick a task.
import { useApp } from '../app-context.ts';
import { startNewTask } from '../models/new-task.ts';

export function HomeView() {
  const app = useApp();
  const vibers = app.workspace.vibers.value;
  const envs = app.workspace.environments.value;
  const env = app.ui.currentEnv.value;
  const mapped = env ? app.workspace.bindings.value.some((b) => b.environmentId === env.id) : false;
  const steps = [
    {
      done: vibers.length > 0,
      label: 'Add a Viber: a machine of yours that runs the work',
      go: () => app.router.go({ view: 'vibers' }),
    },
    {
      done: envs.length > 0,
      label: 'Create an environment: repo, setup script, variables, secrets',
      go: () => app.router.go({ view: 'env-new' }),
    },
    {
      done: mapped,
      label: 'Map the environment to a Viber and prepare it',
      go: () =>
        env ? app.router.go({ view: 'mappings', envId: env.id }) : app.router.go({ view: 'env-new' }),
    },
    {
      done: app.workspace.tasks.value.length > 0,
      label: 'Start a task and send it a command',
      go: () => startNewTask(app),
    },
  ];
  const allDone = steps.every((s) => s.done);
  return (
    <div class="page">
      <div class="hero">
        <h1>{allDone ? 'Pick a task, or start a new one' : 'Get set up in four steps'}</h1>
        <p>Everything here works offline and syncs when you are back online.</p>
        <div class="steps">
          {steps.map((s, i) => (
            <button
              key={s.label}
              class={`step${s.done ? ' done' : ''}`}
              style="cursor:pointer;text-align:left;font:inherit"
              onClick={s.go}
            >
              <span class="n">{s.done ? '✓' : i + 1}</span>
              <span class="grow">{s.label}</span>
              <span aria-hidden style="color:var(--faint)">
                →
              </span>
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
