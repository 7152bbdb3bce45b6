// Signing key and approvals (design §5b): this device's copy of the user's signing key (fingerprint,
// recovery code once), giving it to another device, and what pinned Vibers wait for.
import { useSignal, type Signal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import { appApprovals, listApprovals } from '../models/approvals.ts';
import { ApprovalItem } from './ApprovalItem.tsx';
import { Field } from './Field.tsx';

/** An input's value bound to `value`; typing clears `error` (and the input names its error while shown). */
function typedInto(value: Signal<string>, error: Signal<string>, errorId?: string) {
  return {
    value: value.value,
    onInput: (e: Event) => {
      value.value = (e.currentTarget as HTMLInputElement).value;
      error.value = '';
    },
    'aria-describedby': errorId && error.value ? errorId : undefined,
  };
}

const LOSS_WARNING =
  'If every device that holds this key and the recovery code are lost, a new key has to be made and each Viber onboarded again with --trust.';

export function TrustView() {
  const app = useApp();
  const approvals = listApprovals(app.vibers.views.value, appApprovals(app.signing.review.value));
  return (
    <div class="page" data-testid="trust-view">
      <div class="page-head">
        <div>
          <h1>Signing key and approvals</h1>
          <p class="hint">
            Vibers onboarded with <code>--trust</code> run only what a device holding your key signed — not
            what the server says.
          </p>
        </div>
      </div>
      <KeySection />
      <DeviceRequests />
      <section aria-labelledby="approvals-title">
        <h2 id="approvals-title">Awaiting approval</h2>
        {approvals.length ? (
          <ul class="approvals">
            {approvals.map((a) => (
              <ApprovalItem key={`${a.refusal.kind}:${a.refusal.id}:${a.viberId}`} approval={a} />
            ))}
          </ul>
        ) : (
          <p class="hint" data-testid="no-approvals">
            Nothing waits: your Vibers run everything you sent.
          </p>
        )}
      </section>
    </div>
  );
}

function KeySection() {
  const app = useApp();
  const s = app.signing;
  const code = useSignal('');
  const error = useSignal('');
  return (
    <section class="card" aria-labelledby="key-title" data-testid="signing-key">
      <h2 id="key-title">Your signing key</h2>
      {s.state.value === 'loading' && <p class="hint">Loading your signing key…</p>}
      {s.state.value === 'error' && (
        <div class="callout err">
          Your signing key could not be checked: {s.error.value}{' '}
          <button class="btn small" onClick={() => void s.retry()}>
            Try again
          </button>
        </div>
      )}
      {s.fingerprint.value && (
        <p class="wrap-anywhere">
          Fingerprint{' '}
          <code class="fp" data-testid="signing-fingerprint">
            {s.fingerprint.value}
          </code>
          <br />
          <span class="hint">
            {s.state.value === 'ready'
              ? 'This device holds the key and signs what you do here.'
              : 'This device does not hold the key yet: what you do here waits for approval on your pinned Vibers.'}
          </span>
        </p>
      )}
      {s.recoveryCode.value && (
        <div class="callout warn" data-testid="recovery-code-callout">
          <p>
            <strong>Save your recovery code</strong> somewhere safe (it is shown only now). With it, any
            device can sign for you.
          </p>
          <pre class="approval-text recovery" data-testid="recovery-code">
            {s.recoveryCode.value}
          </pre>
          <p class="hint">{LOSS_WARNING}</p>
          <button class="btn small" onClick={() => (s.recoveryCode.value = '')} data-testid="recovery-saved">
            I saved it
          </button>
        </div>
      )}
      {s.state.value === 'needs-device' && (
        <>
          <NewDeviceRequest />
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void s.recover(code.value).then((problem) => (error.value = problem ?? ''));
            }}
          >
            <Field label="Or enter your recovery code" id="recovery-input" error={error.value}>
              <input
                id="recovery-input"
                class="input"
                {...typedInto(code, error, 'recovery-input-error')}
                autocomplete="off"
                spellcheck={false}
                data-testid="recovery-input"
              />
            </Field>
            <button class="btn small" type="submit">
              Use the recovery code
            </button>
          </form>
          <KeyReset />
        </>
      )}
      {s.state.value === 'ready' && !s.recoveryCode.value && <p class="hint">{LOSS_WARNING}</p>}
    </section>
  );
}

/** [T12] Every device that held the key and the recovery code lost: a new key, on the account password. */
function KeyReset() {
  const app = useApp();
  const password = useSignal('');
  const error = useSignal('');
  const busy = useSignal(false);
  return (
    <details class="key-reset" data-testid="key-reset">
      <summary>Lost every device that holds the key, and the recovery code?</summary>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (busy.value) return;
          busy.value = true;
          void app.signing
            .resetKey(password.value)
            .then((problem) => {
              error.value = problem ?? '';
              if (!problem) password.value = '';
            })
            .finally(() => (busy.value = false));
        }}
      >
        <p class="hint">
          Make a new signing key. Your Vibers onboarded with <code>--trust</code> pinned the old one: each
          refuses what the new key signs until it is onboarded again with <code>--trust</code>, and what the
          old key signed asks for your approval again. Devices holding the old key stop signing.
        </p>
        <Field label="Your account password" id="reset-password" error={error.value}>
          <input
            id="reset-password"
            class="input"
            type="password"
            autocomplete="current-password"
            required
            {...typedInto(password, error, 'reset-password-error')}
            data-testid="reset-password"
          />
        </Field>
        <button class="btn danger small" type="submit" disabled={busy.value} data-testid="reset-key">
          {busy.value ? 'Making a new key…' : 'Make a new signing key'}
        </button>
      </form>
    </details>
  );
}

function NewDeviceRequest() {
  const app = useApp();
  const d = app.devices;
  return (
    <div class="stack" data-testid="device-request">
      {d.myCode.value ? (
        <p>
          On a device that holds your key, open <strong>Signing key and approvals</strong> and check this
          code:{' '}
          <code class="fp big" data-testid="device-code">
            {d.myCode.value}
          </code>
          <span class="hint"> Waiting for approval… (keep this page open)</span>
        </p>
      ) : (
        <button class="btn primary small" onClick={() => void d.requestApproval()} data-testid="request-key">
          Ask another device for the key
        </button>
      )}
      {d.myError.value && (
        <p class="field-error" role="alert">
          {d.myError.value}
        </p>
      )}
    </div>
  );
}

function DeviceRequests() {
  const app = useApp();
  if (app.signing.state.value !== 'ready' || !app.devices.pending.value.length) return null;
  return (
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices asking for your key</h2>
      <ul class="approvals">
        {app.devices.pending.value.map((r) => (
          <DeviceRequestRow key={r.id} id={r.id} label={r.label} at={r.createdAt} />
        ))}
      </ul>
    </section>
  );
}

function DeviceRequestRow({ id, label, at }: { id: string; label: string; at: number }) {
  const app = useApp();
  const code = useSignal('');
  const error = useSignal('');
  return (
    <li data-testid="device-request-row">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void app.devices.approve(id, code.value).then((problem) => (error.value = problem ?? ''));
        }}
      >
        <span>
          A device{label ? ` (${label})` : ''} asked {relativeTime(at)}. Type the code it shows:
        </span>
        <input
          class="input"
          aria-label="Code the other device shows"
          {...typedInto(code, error)}
          autocomplete="off"
          spellcheck={false}
          data-testid="device-code-input"
        />
        {error.value && (
          <p class="field-error" role="alert">
            {error.value}
          </p>
        )}
        <div class="row">
          <button class="btn primary small" type="submit" data-testid="approve-device">
            Give it the key
          </button>
          <button class="btn small" type="button" onClick={() => app.devices.deny(id)}>
            Deny
          </button>
        </div>
      </form>
    </li>
  );
}
