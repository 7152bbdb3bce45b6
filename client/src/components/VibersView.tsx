// Your Vibers with their health, and "Add a Viber": one command with a fresh onboarding token, then live steps.
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import { api, ApiRequestError } from '../api/http.ts';
import type { OnboardingTokenResponse } from '../api/types.ts';
import { OnboardingCard } from './OnboardingCard.tsx';
import { ViberCard } from './ViberCard.tsx';

const NAME = /^[A-Za-z0-9 ._-]{1,64}$/;

export function VibersView() {
  const app = useApp();
  const onboarding = useSignal<{ response: OnboardingTokenResponse; knownIds: Set<string> } | null>(null);
  const name = useSignal('');
  const error = useSignal('');
  const busy = useSignal(false);
  const vibers = [...app.vibers.views.value.values()];
  const known = onboarding.value?.knownIds;
  // The machine the shown command onboarded: its name is used, so the next Viber starts with an empty one.
  const joinedId = known ? (app.workspace.vibers.value.find((v) => !known.has(v.id))?.id ?? '') : '';
  useEffect(() => {
    if (joinedId) name.value = '';
  }, [joinedId]);

  async function addViber(e?: Event) {
    e?.preventDefault();
    const wanted = name.value.trim();
    if (wanted && !NAME.test(wanted)) {
      error.value = 'A name is 1 to 64 letters, digits, spaces, dots, _ or -.';
      return;
    }
    busy.value = true;
    error.value = '';
    try {
      const knownIds = new Set(app.workspace.vibers.peek().map((v) => v.id));
      const response = await api<OnboardingTokenResponse>('/vibers/onboarding-tokens', {
        method: 'POST',
        body: wanted ? { name: wanted } : {},
        token: app.session.token,
      });
      onboarding.value = { response, knownIds };
    } catch (err) {
      error.value =
        err instanceof ApiRequestError && err.code === 'offline'
          ? 'Adding a Viber needs the server: connect and try again.'
          : err instanceof Error
            ? err.message
            : String(err);
    } finally {
      busy.value = false;
    }
  }

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Vibers</h1>
          <p>
            Your machines that prepare environments and run tasks. They connect out to the server; nothing is
            typed on them after onboarding.
          </p>
        </div>
      </div>
      <form class="card" onSubmit={addViber} noValidate>
        <h2>{vibers.length ? 'Add another Viber' : 'Add your first Viber'}</h2>
        <p class="hint">One command on the machine. Name it here, or leave it empty to use its host name.</p>
        <div class="row wrap align-end">
          <div class={`field grow inline-field${error.value ? ' invalid' : ''}`}>
            <label for="viber-name">Name</label>
            <input
              id="viber-name"
              placeholder="e.g. workstation"
              value={name.value}
              onInput={(e) => (name.value = e.currentTarget.value)}
              aria-invalid={Boolean(error.value)}
              aria-describedby={error.value ? 'viber-name-error' : undefined}
            />
          </div>
          <button class="btn primary" type="submit" disabled={busy.value} data-testid="add-viber">
            {busy.value
              ? 'Creating a token…'
              : onboarding.value && !joinedId
                ? 'New command'
                : 'Get the command'}
          </button>
        </div>
        {error.value && (
          <p class="field-error inline-field-error" role="alert" id="viber-name-error">
            {error.value}
          </p>
        )}
      </form>
      {onboarding.value && (
        <OnboardingCard
          onboarding={onboarding.value.response}
          knownIds={onboarding.value.knownIds}
          onRenew={() => void addViber()}
        />
      )}
      {vibers.map((v) => (
        <ViberCard
          key={v.record.id}
          viber={v}
          namesake={vibers.some((o) => o.record.id !== v.record.id && o.record.name === v.record.name)}
        />
      ))}
    </div>
  );
}
