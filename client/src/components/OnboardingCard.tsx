// Add a Viber, step by step: the command in full with Copy, then a live "waiting for your machine…",
// "connected", and "now map <environment> to <viber>" (or first "save <environment>" when secrets typed
// before any Viber wait for it).
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import type { OnboardingTokenResponse } from '../api/types.ts';
import { draftsWaitingForViber } from '../models/environment-form.ts';
import { startNewTask } from '../models/new-task.ts';
import { CommandText } from './CommandText.tsx';
import { KeyFingerprint } from './KeyFingerprint.tsx';

export function OnboardingCard({
  onboarding,
  knownIds,
  onRenew,
}: {
  onboarding: OnboardingTokenResponse;
  /** Vibers registered before this token: a new id in the registry is the machine that just joined. */
  knownIds: ReadonlySet<string>;
  /** Gets a new command (a new token), for when this one expired unused. */
  onRenew: () => void;
}) {
  const app = useApp();
  const copied = useSignal(false);
  const joined = app.workspace.vibers.value.find((v) => !knownIds.has(v.id));
  // The token stops working at expiresAt: from then on the command is not shown as if it would.
  const now = useSignal(Date.now());
  useEffect(() => {
    const left = new Date(onboarding.expiresAt).getTime() - Date.now();
    if (joined || !(left > 0)) return;
    const timer = setTimeout(() => (now.value = Date.now()), Math.min(left + 250, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [onboarding.expiresAt, joined?.id]);
  const expired = !joined && now.value >= new Date(onboarding.expiresAt).getTime();
  const view = joined ? app.vibers.views.value.get(joined.id) : undefined;
  const env = app.ui.currentEnv.value;
  // Secrets typed before this first Viber (held in this tab) come first: saving them is the next step.
  const waiting = joined ? draftsWaitingForViber(app.drafts, app.workspace.environments.value)[0] : undefined;
  const expires = new Date(onboarding.expiresAt);
  // The Viber pins the key this device holds (computed here, not taken from the server) [T3].
  const signing = app.signing;
  const trusted = signing.state.value === 'ready' ? signing.fingerprint.value : '';
  const command = trusted ? `${onboarding.command} --trust ${trusted}` : onboarding.command;
  // Trust on first use [T11]: the key of the machine that just joined is the one this device signs
  // mappings for from now on; a different key later is shown as a change to check, never signed for.
  useEffect(() => {
    if (joined) void app.signing.confirmViberKey(joined.id, joined.publicKey);
  }, [joined?.id, joined?.publicKey]);
  return (
    <section class="card" data-testid="onboarding" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Add a Viber</h2>
      <ol class="onboard-steps">
        <li class={joined ? 'done' : 'current'}>
          <strong>Run this on the machine</strong> (it needs Node 20 or later and git). The token works once
          {Number.isNaN(expires.getTime()) ? '' : ` and expires at ${expires.toLocaleTimeString()}`}.
          {expired && (
            <div class="callout warn row wrap" role="alert" data-testid="onboarding-expired">
              This command expired at {expires.toLocaleTimeString()} before a machine used it: it no longer
              works.
              <button class="btn small" onClick={onRenew} data-testid="onboarding-renew">
                Get a new command
              </button>
            </div>
          )}
          <div class={`cmd${expired ? ' expired' : ''}`}>
            <CommandText command={command} testId="onboarding-command" />
            <button
              class="btn small cmd-copy"
              onClick={() => {
                void navigator.clipboard
                  ?.writeText(command)
                  .then(() => (copied.value = true))
                  .catch(() => undefined);
              }}
            >
              {copied.value ? 'Copied' : 'Copy'}
            </button>
          </div>
          {trusted ? (
            <span class="hint" data-testid="onboarding-trust">
              <code>--trust</code> makes this Viber run only what you sign with your key{' '}
              <code class="fp">{trusted}</code>.{' '}
            </span>
          ) : (
            <div class="callout warn" data-testid="onboarding-no-trust">
              {signing.state.value === 'loading'
                ? 'Loading your signing key… '
                : 'This device does not hold your signing key, so this Viber would trust the server. '}
              <button class="btn small" onClick={() => app.router.go({ view: 'trust' })}>
                Signing key
              </button>
            </div>
          )}
          <span class="hint">
            It prints the Viber’s key fingerprint and the command that starts it: run that too, and leave it
            running.
          </span>
        </li>
        <li
          class={view?.online ? 'done' : joined ? 'current' : ''}
          role="status"
          data-testid="onboarding-wait"
        >
          {expired ? (
            <>Not waiting any more: the command expired.</>
          ) : !joined ? (
            <>
              <span class="dot waiting" aria-hidden /> Waiting for your machine…
            </>
          ) : !view?.online ? (
            <>
              <strong>{joined.name}</strong> is registered. Waiting for it to connect (start it with the
              command it printed)…
            </>
          ) : (
            <>
              <strong>{joined.name}</strong> is connected.
            </>
          )}
          {joined && (
            <span class="hint" data-testid="onboarding-viber-key">
              {' '}
              Its key fingerprint is <KeyFingerprint publicKey={joined.publicKey} />: the same as the command
              printed?
            </span>
          )}
        </li>
        <li class={joined ? 'current' : ''}>
          {joined && waiting ? (
            <>
              Next, {waiting.envId ? 'save' : 'create'} <strong>{waiting.name}</strong>: its{' '}
              {waiting.secrets.join(', ')} can now be encrypted for <strong>{joined.name}</strong>.{' '}
              <button
                class="btn primary small"
                onClick={() =>
                  app.router.go(
                    waiting.envId ? { view: 'env-edit', envId: waiting.envId } : { view: 'env-new' },
                  )
                }
                data-testid="onboarding-held"
              >
                {waiting.envId ? 'Save' : 'Create'} {waiting.name} — {waiting.secrets.length} secret
                {waiting.secrets.length === 1 ? '' : 's'} waiting for a Viber
              </button>
            </>
          ) : joined && env ? (
            <>
              Now map <strong>{env.name}</strong> to <strong>{joined.name}</strong>.{' '}
              <button
                class="btn primary small"
                onClick={() => app.router.go({ view: 'mappings', envId: env.id })}
                data-testid="onboarding-map"
              >
                Map {env.name} to {joined.name}
              </button>
            </>
          ) : joined ? (
            <>
              Now create an environment for {joined.name} to prepare.{' '}
              <button class="btn primary small" onClick={() => app.router.go({ view: 'env-new' })}>
                Create an environment
              </button>
            </>
          ) : (
            <span class="hint">Then map an environment to it, and start a task.</span>
          )}
          {joined && env && app.workspace.bindings.value.some((b) => b.viberId === joined.id) && (
            <button class="btn small inline-action" onClick={() => startNewTask(app)}>
              Start a task
            </button>
          )}
        </li>
      </ol>
    </section>
  );
}
