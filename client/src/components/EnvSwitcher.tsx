// The current environment with its status pill; opens a quick switch menu.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { useDismiss } from '../lib/use-dismiss.ts';
import { environmentPill } from '../models/environment-status.ts';
import { StatusPill } from './StatusPill.tsx';

export function EnvSwitcher() {
  const app = useApp();
  const open = useSignal(false);
  const root = useDismiss<HTMLDivElement>(open);
  const env = app.ui.currentEnv.value;
  const envs = app.workspace.environments.value;
  const bindings = app.workspace.bindings.value;
  const vibers = app.vibers.views.value;
  if (!env) {
    return (
      <button class="env-switcher-btn" onClick={() => app.router.go({ view: 'env-new' })}>
        <span class="name">Create an environment</span>
        <span aria-hidden>→</span>
      </button>
    );
  }
  const pinnedFirst = [...envs].sort((a, b) => Number(b.pinned) - Number(a.pinned));
  return (
    <div class="env-switcher" ref={root}>
      <button
        class="env-switcher-btn"
        onClick={() => (open.value = !open.value)}
        aria-haspopup="menu"
        aria-expanded={open.value}
        data-testid="env-switcher"
      >
        <span class="name" title={env.name}>
          {env.name}
        </span>
        <StatusPill status={environmentPill(env, bindings, vibers)} />
        <span aria-hidden class="faint">
          ▾
        </span>
      </button>
      {open.value && (
        <div class="menu" role="menu">
          {pinnedFirst.map((e) => (
            <button
              key={e.id}
              role="menuitem"
              onClick={() => {
                app.ui.selectEnv(e.id);
                open.value = false;
              }}
            >
              <span class="menu-star" aria-label={e.pinned ? 'Pinned' : undefined}>
                {e.pinned ? '★' : ''}
              </span>
              <span class="grow truncate">{e.name}</span>
              <StatusPill status={environmentPill(e, bindings, vibers)} />
            </button>
          ))}
          <hr />
          <button
            role="menuitem"
            onClick={() => {
              open.value = false;
              app.router.go({ view: 'env-edit', envId: env.id });
            }}
          >
            <span class="truncate">Edit “{env.name}”</span>
          </button>
          <button
            role="menuitem"
            onClick={() => {
              open.value = false;
              app.router.go({ view: 'mappings', envId: env.id });
            }}
          >
            Map to Viber…
          </button>
          <button
            role="menuitem"
            onClick={() => {
              open.value = false;
              app.router.go({ view: 'env-new' });
            }}
          >
            + Create environment
          </button>
        </div>
      )}
    </div>
  );
}
