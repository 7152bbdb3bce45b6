// The four first steps, each a button to where it is done; ticked off as the workspace fills in.
import { useApp } from '../app-context.ts';
import { startNewTask } from '../models/new-task.ts';

/** The steps and whether each is done. */
export function useSetupSteps() {
  const app = useApp();
  const env = app.ui.currentEnv.value;
  const mapped = env ? app.workspace.bindings.value.some((b) => b.environmentId === env.id) : false;
  return [
    {
      done: app.workspace.vibers.value.length > 0,
      label: 'Add a Viber: a machine of yours that runs the work',
      go: () => app.router.go({ view: 'vibers' }),
    },
    {
      done: app.workspace.environments.value.length > 0,
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
}

export function SetupChecklist({ compact }: { compact?: boolean }) {
  const steps = useSetupSteps();
  const next = steps.findIndex((s) => !s.done);
  return (
    <ol class={`steps${compact ? ' compact' : ''}`} aria-label="Get set up" data-testid="setup-checklist">
      {steps.map((s, i) => (
        <li key={s.label}>
          <button
            class={`step${s.done ? ' done' : ''}${i === next ? ' next' : ''}`}
            onClick={s.go}
            aria-current={i === next ? 'step' : undefined}
          >
            <span class="n" aria-hidden>
              {s.done ? '✓' : i + 1}
            </span>
            <span class="grow">
              {s.label}
              {s.done && <span class="sr-only"> (done)</span>}
            </span>
            <span aria-hidden class="faint">
              →
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
