// One mapping: its Viber, derived status, what the Viber observed, Prepare/Sync, and the live setup log.
import { useSignal } from '@preact/signals';
import type { BindingStatus, EnvironmentType } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import { presenceDot } from '../lib/presence-words.ts';
import { prepareStepPhrase, prepareStepWords } from '../lib/prepare-step-words.ts';
import { strategyWords } from '../lib/strategy-words.ts';
import { viberLabel } from '../lib/viber-label.ts';
import type { BindingView } from '../models/environment-status.ts';
import { PrepareLog } from './PrepareLog.tsx';
import { StatusPill } from './StatusPill.tsx';

const STATUS_TEXT: Record<BindingStatus, string> = {
  pending: 'Waiting for the Viber to start preparing',
  stale: 'The environment changed since it was prepared: prepare again to apply the changes',
  preparing: 'Preparing',
  ready: 'Ready',
  error: 'Preparing failed',
};

/** Where tasks run once the mapping is ready: the checkout itself, or a copy of it per task. */
const readyText = (persistVolume: boolean) =>
  persistVolume
    ? 'Ready: tasks run in this checkout'
    : 'Ready: each task starts in its own copy of this checkout, with what setup installed';

export function BindingCard({
  view,
  envType,
  persistVolume,
}: {
  view: BindingView;
  envType: EnvironmentType;
  persistVolume: boolean;
}) {
  const app = useApp();
  const { binding, observation: o, viber, status } = view;
  const showLog = useSignal(status === 'preparing' || status === 'error');
  const name = viber ? viberLabel(viber.record, app.workspace.vibers.value) : 'Removed Viber';
  // The step the Viber is on (or failed at), if this app knows its words.
  const step = o?.step && prepareStepWords(o.step) ? o.step : '';
  return (
    <section class="card" data-testid="binding-card">
      <div class="row card-head">
        <span class={presenceDot(viber?.presence)} />
        <h2 class="grow truncate" title={name}>
          {name}
        </h2>
        <StatusPill status={status} />
      </div>
      <p class="hint card-status">
        {viber?.presence === 'online'
          ? 'Online'
          : viber?.presence === 'unknown'
            ? 'Status unknown while you are offline'
            : `Offline${viber?.record.lastSeenAt ? `, last seen ${relativeTime(viber.record.lastSeenAt)}` : ''}`}{' '}
        · {strategyWords(binding.strategy, envType).summary}
        {o && o.observedGeneration < binding.generation ? ' · a new prepare is requested' : ''}
      </p>
      {binding.strategy === 'existing' && binding.existingPath && (
        <p class="hint mono wrap-anywhere card-substatus">{binding.existingPath}</p>
      )}
      <MappingReview bindingId={binding.id} />
      <div
        class={`callout ${status === 'error' ? 'err' : status === 'ready' ? 'ok' : status === 'stale' || status === 'pending' ? 'warn' : ''}`}
      >
        {status === 'preparing' && step
          ? `Preparing: ${prepareStepPhrase(step)}…`
          : status === 'error' && step
            ? `Preparing failed while ${prepareStepPhrase(step)}`
            : status === 'ready'
              ? readyText(persistVolume)
              : STATUS_TEXT[status]}
        {status === 'pending' && viber?.presence !== 'online' && viber?.presence !== 'unknown'
          ? ' (it is offline; it will prepare when it comes back)'
          : ''}
        {o?.lastError && status === 'error' ? (
          <div class="mono wrap-anywhere callout-detail">{o.lastError}</div>
        ) : null}
        {o?.resolvedWorkingDir ? (
          <div class="hint mono wrap-anywhere callout-detail" title="Checkout on the Viber">
            {o.resolvedWorkingDir}
          </div>
        ) : null}
        {o?.lastPrepareAt ? <div class="hint">Last prepared {relativeTime(o.lastPrepareAt)}</div> : null}
      </div>
      {status === 'preparing' && <div class="progress" role="progressbar" aria-label="Preparing" />}
      <div class="row wrap">
        <button
          class="btn primary small"
          onClick={() => {
            app.signing.prepare(binding.id);
            showLog.value = true;
          }}
          data-testid="prepare"
        >
          {o ? 'Prepare again' : 'Prepare'}
        </button>
        <button class="btn small" onClick={() => (showLog.value = !showLog.value)}>
          {showLog.value ? 'Hide setup log' : 'Show setup log'}
        </button>
        <span class="grow" />
        <button
          class="btn ghost small danger"
          onClick={async () => {
            const ok = await app.confirm.ask({
              title: `Remove the mapping to ${name}?`,
              body: 'Tasks of this environment stop running there. Its checkout stays on the machine.',
              confirmLabel: 'Remove mapping',
              danger: true,
            });
            if (ok) app.workspace.deleteBinding(binding.id);
          }}
        >
          Remove mapping
        </button>
      </div>
      {showLog.value && <PrepareLog viberId={binding.viberId} bindingId={binding.id} status={status} />}
    </section>
  );
}

/** The mapping does not stand signed for this device ([T11]): Prepare will not sign it; review it in Approvals. */
function MappingReview({ bindingId }: { bindingId: string }) {
  const app = useApp();
  const standing = app.signing.review.value.bindings.get(bindingId);
  if (!standing) return null;
  return (
    <div class="callout warn row wrap" role="status" data-testid="mapping-review" data-standing={standing}>
      <span class="grow">
        {standing === 'key changed' ? (
          <>
            <strong>This Viber’s key changed</strong> — compare the fingerprint on the machine (
            <code>viber status</code>) before you trust it. Nothing is signed for it until you do.
          </>
        ) : (
          <>
            <strong>Changed outside this app — review.</strong> This mapping is not what you signed, so
            Prepare does not sign it.
          </>
        )}
      </span>
      <button type="button" class="btn small" onClick={() => app.router.go({ view: 'trust' })}>
        Review
      </button>
    </div>
  );
}
