// Environments with pin and quick switch, plus Create Environment and Manage mappings.
import { useApp } from '../app-context.ts';
import { environmentPill } from '../models/environment-status.ts';
import { StatusPill } from './StatusPill.tsx';

export function EnvironmentList({ onNavigate }: { onNavigate?: () => void }) {
  const app = useApp();
  const envs = [...app.workspace.environments.value].sort((a, b) => Number(b.pinned) - Number(a.pinned));
  const current = app.ui.currentEnv.value;
  const bindings = app.workspace.bindings.value;
  const vibers = app.vibers.views.value;
  const go = (fn: () => void) => {
    fn();
    onNavigate?.();
  };
  return (
    <section aria-label="Environments">
      <div class="group-label">
        Environments
        <button
          class="btn ghost small"
          onClick={() => go(() => app.router.go({ view: 'env-new' }))}
          data-testid="create-env"
        >
          + Create
        </button>
      </div>
      {!envs.length && <p class="empty">No environments yet.</p>}
      {envs.map((e) => (
        <div key={e.id} class={`env-row${current?.id === e.id ? ' current' : ''}`} data-testid="env-row">
          <button
            class={`star${e.pinned ? ' on' : ''}`}
            title={e.pinned ? `Unpin ${e.name}` : `Pin ${e.name} to the top`}
            aria-label={`Pin ${e.name}`}
            aria-pressed={e.pinned}
            onClick={() => app.workspace.patchEnvironment(e.id, { pinned: !e.pinned })}
          >
            <span aria-hidden>{e.pinned ? '★' : '☆'}</span>
          </button>
          <button class="name" title={`Switch to ${e.name}`} onClick={() => go(() => app.ui.selectEnv(e.id))}>
            {e.name}
          </button>
          <StatusPill status={environmentPill(e, bindings, vibers)} />
          <button
            class="btn ghost small"
            aria-label={`Edit ${e.name}`}
            onClick={() => go(() => app.router.go({ view: 'env-edit', envId: e.id }))}
          >
            Edit
          </button>
        </div>
      ))}
      {current && (
        <button
          class="btn ghost small block list-link"
          onClick={() => go(() => app.router.go({ view: 'mappings', envId: current.id }))}
        >
          <span aria-hidden>⇄</span>
          <span class="truncate">Manage mappings for {current.name}</span>
        </button>
      )}
    </section>
  );
}
