// Map an environment to Vibers: choose a Viber and a strategy, prepare, watch status and the setup log live, sync.
import { useSignal } from '@preact/signals';
import { bindingCreateSchema, validate } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { bindingViews, environmentPill } from '../models/environment-status.ts';
import { strategyWords } from '../lib/strategy-words.ts';
import { viberLabel } from '../lib/viber-label.ts';
import { BindingCard } from './BindingCard.tsx';
import { Field } from './Field.tsx';
import { RepreparePrompt } from './RepreparePrompt.tsx';
import { StatusPill } from './StatusPill.tsx';

export function MappingsView({ envId }: { envId: string }) {
  const app = useApp();
  const env = app.workspace.environments.value.find((e) => e.id === envId);
  const vibers = app.workspace.vibers.value;
  const views = app.vibers.views.value;
  const viberId = useSignal('');
  // A Local-folder environment lives in a folder that exists on the Viber: that is the default.
  const strategy = useSignal<'clone' | 'existing'>(env?.type === 'local' ? 'existing' : 'clone');
  const existingPath = useSignal(env?.type === 'local' ? env.localPath : '');
  const errors = useSignal<Record<string, string>>({});
  if (!env)
    return (
      <div class="page">
        <div class="callout warn">This environment no longer exists.</div>
      </div>
    );
  const bindings = bindingViews(env, app.workspace.bindings.value, views);
  const unbound = vibers.filter((v) => !bindings.some((b) => b.binding.viberId === v.id));
  const chosen =
    viberId.value && unbound.some((v) => v.id === viberId.value) ? viberId.value : (unbound[0]?.id ?? '');

  function map(ev: Event) {
    ev.preventDefault();
    const input = {
      viberId: chosen,
      strategy: strategy.value,
      ...(strategy.value === 'existing' ? { existingPath: existingPath.value } : {}),
    };
    const parsed = validate(bindingCreateSchema, input);
    if (!parsed.ok) {
      errors.value = Object.fromEntries(
        parsed.error.issues.map((i) => [
          i.field,
          i.field === 'existingPath'
            ? 'Enter an absolute path on the Viber, e.g. /home/me/src/app.'
            : 'Choose a Viber.',
        ]),
      );
      return;
    }
    errors.value = {};
    app.signing.map(env!.id, parsed.value);
    existingPath.value = '';
  }

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1 class="row">
            <span class="truncate" title={env.name}>
              {env.name}
            </span>
            <StatusPill status={environmentPill(env, app.workspace.bindings.value, views)} />
          </h1>
          <p>
            Which of your Vibers prepare this environment. Each keeps its own checkout, prepared with the
            setup script.
          </p>
        </div>
        <button class="btn" onClick={() => app.router.go({ view: 'env-edit', envId: env.id })}>
          Edit environment
        </button>
      </div>

      <RepreparePrompt env={env} />
      {bindings.map((b) => (
        <BindingCard key={b.binding.id} view={b} envType={env.type} persistVolume={env.persistVolume} />
      ))}

      <form class="card" onSubmit={map} noValidate>
        <h2>{bindings.length ? 'Map to another Viber' : 'Map to a Viber'}</h2>
        <p class="hint">
          The Viber starts preparing as soon as it sees the mapping (now, or when it next comes online).
        </p>
        {!vibers.length ? (
          <div class="callout warn">
            You have no Vibers yet. <a href="#/vibers">Add a Viber</a>: one command on your machine, then
            everything happens here.
          </div>
        ) : !unbound.length ? (
          <div class="callout">
            Every one of your Vibers is already mapped. <a href="#/vibers">Add another Viber</a>.
          </div>
        ) : (
          <>
            <Field label="Viber" id="map-viber" error={errors.value.viberId}>
              <select
                id="map-viber"
                value={chosen}
                onChange={(ev) => (viberId.value = ev.currentTarget.value)}
              >
                {unbound.map((v) => (
                  <option key={v.id} value={v.id}>
                    {viberLabel(v, vibers)} ·{' '}
                    {views.get(v.id)?.presence === 'unknown'
                      ? 'status unknown'
                      : views.get(v.id)?.online
                        ? 'online'
                        : 'offline'}
                  </option>
                ))}
              </select>
            </Field>
            <div class="field">
              <span class="label">Strategy</span>
              <div class="seg" role="group" aria-label="Strategy">
                <button
                  type="button"
                  aria-pressed={strategy.value === 'clone'}
                  onClick={() => (strategy.value = 'clone')}
                >
                  {strategyWords('clone', env.type).option}
                </button>
                <button
                  type="button"
                  aria-pressed={strategy.value === 'existing'}
                  onClick={() => (strategy.value = 'existing')}
                >
                  {strategyWords('existing', env.type).option}
                </button>
              </div>
              <span class="hint">{strategyWords(strategy.value, env.type).hint}</span>
            </div>
            {strategy.value === 'existing' && (
              <Field
                label="Folder on the Viber"
                id="map-path"
                error={errors.value.existingPath}
                hint="An absolute path."
              >
                <input
                  id="map-path"
                  aria-invalid={Boolean(errors.value.existingPath)}
                  aria-describedby={errors.value.existingPath ? 'map-path-error' : undefined}
                  value={existingPath.value}
                  placeholder="/home/me/src/app"
                  onInput={(ev) => (existingPath.value = ev.currentTarget.value)}
                />
              </Field>
            )}
            <button class="btn primary" type="submit" data-testid="map-prepare">
              Map and prepare
            </button>
          </>
        )}
      </form>
    </div>
  );
}
