// Your Vibers with their health, and "Add a Viber": a one-line command with a fresh onboarding token.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { api, ApiRequestError } from '../api/http.ts';
import type { OnboardingTokenResponse } from '../api/types.ts';
import { relativeTime } from '../lib/format.ts';
import { KeyFingerprint } from './KeyFingerprint.tsx';

export function VibersView() {
  const app = useApp();
  const onboarding = useSignal<OnboardingTokenResponse | null>(null);
  const error = useSignal('');
  const busy = useSignal(false);
  const copied = useSignal(false);
  const vibers = [...app.vibers.views.value.values()];

  async function addViber() {
    busy.value = true;
    error.value = '';
    copied.value = false;
    try {
      onboarding.value = await api<OnboardingTokenResponse>('/vibers/onboarding-tokens', {
        method: 'POST',
        body: {},
        token: app.session.token,
      });
    } catch (e) {
      error.value =
        e instanceof ApiRequestError && e.code === 'offline'
          ? 'Adding a Viber needs the server: connect and try again.'
          : e instanceof Error
            ? e.message
            : String(e);
    } finally {
      busy.value = false;
    }
  }

  const expires = onboarding.value ? new Date(onboarding.value.expiresAt) : null;
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
        <button class="btn primary" onClick={addViber} disabled={busy.value} data-testid="add-viber">
          {busy.value ? 'Creating a token…' : '+ Add a Viber'}
        </button>
      </div>
      {error.value && <div class="callout err">{error.value}</div>}
      {onboarding.value && (
        <section class="card" data-testid="onboarding">
          <h2>Run this once on the machine</h2>
          <p class="hint">
            From a checkout of OpenViber (after npm install). The token works once
            {expires && !Number.isNaN(expires.getTime())
              ? ` and expires ${expires.toLocaleTimeString()}`
              : ''}
            .
          </p>
          <div class="cmd">
            <code data-testid="onboarding-command">{onboarding.value.command}</code>
            <button
              class="btn small"
              style="background:transparent;color:inherit;border-color:#4b5563"
              onClick={() => {
                void navigator.clipboard
                  ?.writeText(onboarding.value!.command)
                  .then(() => (copied.value = true));
              }}
            >
              {copied.value ? 'Copied' : 'Copy'}
            </button>
          </div>
          <p class="hint" style="margin:10px 0 0">
            Then start it with <code>npx viber start</code>. It shows its key fingerprint: it should match the
            one listed here once it appears.
          </p>
        </section>
      )}
      {!vibers.length && !onboarding.value && (
        <div class="callout">No Vibers yet. Add one to prepare environments and run tasks.</div>
      )}
      {vibers.map((v) => (
        <section class="card" key={v.record.id} data-testid="viber-card">
          <div class="row">
            <span class={`dot${v.online ? ' on' : ''}`} />
            <h2 class="grow">{v.record.name}</h2>
            <span class={`pill ${v.online ? 'online' : 'offline'}`}>{v.online ? 'Online' : 'Offline'}</span>
          </div>
          <p class="hint" style="margin:6px 0 0">
            {v.online ? 'Connected now' : `Last seen ${relativeTime(v.record.lastSeenAt)}`}
            {v.health ? ` · ${v.health.hostname} · ${v.health.platform} · viber ${v.health.version}` : ''}
            {v.health && !v.health.capabilities.networkIsolation
              ? ' · cannot isolate network (tasks without network are refused)'
              : ''}
          </p>
          <p class="hint" style="margin:4px 0 0">
            Key fingerprint <KeyFingerprint publicKey={v.record.publicKey} />
          </p>
        </section>
      ))}
    </div>
  );
}
