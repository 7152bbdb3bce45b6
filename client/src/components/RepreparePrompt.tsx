// "Changes need a re-prepare — Prepare now": shown wherever the environment's mappings are stale; `inline`
// is the short form beside the editor's Save ("Saved · needs a prepare on 1 Viber — Prepare now").
import type { Environment } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { bindingViews } from '../models/environment-status.ts';

export function RepreparePrompt({ env, inline }: { env: Environment; inline?: boolean }) {
  const app = useApp();
  const stale = bindingViews(env, app.workspace.bindings.value, app.vibers.views.value).filter(
    (v) => v.status === 'stale',
  );
  if (!stale.length) return null;
  const names = stale.map((v) => v.viber?.record.name ?? 'a removed Viber').join(', ');
  return (
    <div
      class={inline ? 'inline-prompt' : 'callout warn row wrap'}
      role="status"
      data-testid={inline ? 'saved-reprepare' : 'reprepare'}
    >
      {inline ? (
        <span title={`${names} still ${stale.length === 1 ? 'runs' : 'run'} the previous setup`}>
          needs a prepare on {stale.length} Viber{stale.length === 1 ? '' : 's'} —
        </span>
      ) : (
        <span class="grow">
          Changes need a re-prepare: {names} still {stale.length === 1 ? 'runs' : 'run'} the previous setup.
        </span>
      )}
      <button
        type="button"
        class="btn small primary"
        onClick={() => stale.forEach((v) => app.signing.prepare(v.binding.id))}
      >
        Prepare now
      </button>
    </div>
  );
}
