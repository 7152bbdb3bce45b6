// Validation: the setup scripts checked here and now (offline), and the repository as seen by a bound Viber.
import { PrepareStep, type Environment } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import type { EnvironmentForm } from '../models/environment-form.ts';
import { bindingViews } from '../models/environment-status.ts';
import { ScriptCheck } from './ScriptCheck.tsx';

export function ValidationSection({ form, env }: { form: EnvironmentForm; env: Environment | undefined }) {
  const app = useApp();
  const f = form.fields.value;
  const scripts = [
    ['Setup script', f.setupMode === 'manual' ? f.setupScript : ''],
    ['Maintenance script', f.maintenanceScript],
  ] as const;
  const views = env ? bindingViews(env, app.workspace.bindings.value, app.vibers.views.value) : [];
  return (
    <section class="card" id="sec-validation">
      <h2>Validation</h2>
      <p class="hint">Scripts are parsed as bash as you type, in this browser (works offline).</p>
      {scripts.map(([label, script]) => (
        <ScriptCheck key={label} label={label} script={script} />
      ))}
      {f.type === 'github' && (
        <div class="repo-access">
          <h3 class="subhead">Repository access</h3>
          {!views.length ? (
            <div class="callout">
              Not checked yet: a Viber checks access when it prepares this environment. Map it to a Viber to
              check.
            </div>
          ) : (
            views.map((v) => {
              const name = v.viber?.record.name ?? 'Unknown Viber';
              const o = v.observation;
              const cloneFailed =
                o?.state === 'error' &&
                (o.step === PrepareStep.source || /clone|fetch|repository|git/i.test(o.lastError));
              return (
                <div
                  key={v.binding.id}
                  class={`callout ${cloneFailed ? 'err' : o?.state === 'ready' ? 'ok' : ''}`}
                >
                  <strong>{name}</strong>:{' '}
                  {cloneFailed
                    ? `cannot fetch the repository: ${o.lastError}`
                    : o?.state === 'ready'
                      ? `fetched it ${relativeTime(o.lastPrepareAt)}.`
                      : o?.state === 'preparing'
                        ? 'checking now (preparing)…'
                        : v.viber?.online
                          ? 'will check when it prepares. Use Prepare on the mapping.'
                          : v.viber?.presence === 'unknown'
                            ? 'not checked yet (its status is unknown while you are offline).'
                            : 'offline, so not checked yet. It checks when it comes back online.'}
                </div>
              );
            })
          )}
        </div>
      )}
    </section>
  );
}
