// One mapping: its Viber, derived status, what the Viber observed, Prepare/Sync, and the live setup log.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import type { BindingView } from '../models/environment-status.ts';
import { PrepareLog } from './PrepareLog.tsx';
import { StatusPill } from './StatusPill.tsx';

const STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting for the Viber to pick up the latest request',
  stale: 'The environment changed since it was prepared: Sync to apply',
  preparing: 'Preparing',
  ready: 'Ready',
  error: 'Preparing failed',
};

export function BindingCard({ view }: { view: BindingView }) {
  const app = useApp();
  const { binding, observation: o, viber, status } = view;
  const showLog = useSignal(status === 'preparing' || status === 'error');
  const name = viber?.record.name ?? 'Removed Viber';
  return (
    <section class="card" data-testid="binding-card">
      <div class="row wrap" style="margin-bottom:8px">
        <span class={`dot${viber?.online ? ' on' : ''}`} />
        <h2 class="grow">{name}</h2>
        <StatusPill status={status} />
      </div>
      <p class="hint" style="margin:0 0 10px">
        {viber?.online
          ? 'Online'
          : `Offline${viber?.record.lastSeenAt ? `, last seen ${relativeTime(viber.record.lastSeenAt)}` : ''}`}{' '}
        · {binding.strategy === 'clone' ? 'clone and set up' : `existing folder ${binding.existingPath}`} ·
        request #{binding.generation}
        {o ? `, prepared #${o.observedGeneration}` : ''}
      </p>
      <div
        class={`callout ${status === 'error' ? 'err' : status === 'ready' ? 'ok' : status === 'stale' || status === 'pending' ? 'warn' : ''}`}
      >
        {STATUS_TEXT[status]}
        {status === 'preparing' && o?.step ? ` · ${o.step}` : ''}
        {status === 'pending' && !viber?.online ? ' (it is offline; it will prepare when it comes back)' : ''}
        {o?.lastError && status === 'error' ? (
          <div class="mono" style="margin-top:4px">
            {o.lastError}
          </div>
        ) : null}
        {o?.resolvedWorkingDir ? (
          <div class="hint mono" style="margin-top:4px">
            {o.resolvedWorkingDir}
          </div>
        ) : null}
        {o?.lastPrepareAt ? <div class="hint">Last prepared {relativeTime(o.lastPrepareAt)}</div> : null}
      </div>
      {status === 'preparing' && <div class="progress" style="margin-bottom:10px" />}
      <div class="row wrap">
        <button
          class="btn primary small"
          onClick={() => {
            app.workspace.prepare(binding.id);
            showLog.value = true;
          }}
          data-testid="prepare"
        >
          {o ? 'Sync' : 'Prepare'}
        </button>
        <button class="btn small" onClick={() => (showLog.value = !showLog.value)}>
          {showLog.value ? 'Hide setup log' : 'Show setup log'}
        </button>
        <span class="grow" />
        <button
          class="btn ghost small danger"
          onClick={() => {
            if (confirm(`Remove the mapping to ${name}? Its checkout stays on the machine.`))
              app.workspace.deleteBinding(binding.id);
          }}
        >
          Remove mapping
        </button>
      </div>
      {showLog.value && <PrepareLog viberId={binding.viberId} bindingId={binding.id} />}
    </section>
  );
}
