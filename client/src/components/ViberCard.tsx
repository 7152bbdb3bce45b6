// One Viber: online state, health, key fingerprint (tells namesakes apart), Rename and Remove.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { api, ApiRequestError } from '../api/http.ts';
import { relativeTime } from '../lib/format.ts';
import { presenceDot } from '../lib/presence-words.ts';
import { viberLabel } from '../lib/viber-label.ts';
import type { ViberView } from '../models/vibers-model.ts';
import { KeyFingerprint } from './KeyFingerprint.tsx';
import { ViberKeyChanged } from './ViberKeyChanged.tsx';
import { StatusPill } from './StatusPill.tsx';

const NAME = /^[A-Za-z0-9 ._-]{1,64}$/;

export function ViberCard({ viber, namesake }: { viber: ViberView; namesake: boolean }) {
  const app = useApp();
  const renaming = useSignal(false);
  const error = useSignal('');
  const { record, online, presence, health } = viber;

  async function remove() {
    const ok = await app.confirm.ask({
      title: `Remove ${record.name}?`,
      body: 'Its access is revoked and its mappings and encrypted secret copies are removed. The machine keeps its files; onboard it again to add it back.',
      confirmLabel: 'Remove Viber',
      danger: true,
    });
    if (!ok) return;
    try {
      await api(`/vibers/${encodeURIComponent(record.id)}`, { method: 'DELETE', token: app.session.token });
    } catch (e) {
      error.value =
        e instanceof ApiRequestError && e.code === 'offline'
          ? 'Removing a Viber needs the server: connect and try again.'
          : e instanceof Error
            ? e.message
            : String(e);
    }
  }

  return (
    <section class="card" data-testid="viber-card">
      <div class="row">
        <span class={presenceDot(presence)} />
        {renaming.value ? (
          <form
            class="row grow"
            onSubmit={(e) => {
              e.preventDefault();
              const input = e.currentTarget.elements.namedItem('name') as HTMLInputElement;
              const name = input.value.trim();
              if (!NAME.test(name)) {
                error.value = 'A name is 1 to 64 letters, digits, spaces, dots, _ or -.';
                return;
              }
              error.value = '';
              app.workspace.renameViber(record.id, name);
              renaming.value = false;
            }}
          >
            <input
              name="name"
              aria-label="Viber name"
              defaultValue={record.name}
              autoFocus
              aria-invalid={Boolean(error.value)}
              aria-describedby={error.value ? `viber-${record.id}-error` : undefined}
              onKeyDown={(e) => e.key === 'Escape' && (renaming.value = false)}
            />
            <button class="btn primary small" type="submit">
              Save
            </button>
          </form>
        ) : (
          <h2 class="grow truncate" title={record.name}>
            {record.name}
          </h2>
        )}
        <StatusPill status={presence} />
      </div>
      {error.value && (
        <p class="field-error" role="alert" id={`viber-${record.id}-error`}>
          {error.value}
        </p>
      )}
      <p class="hint wrap-anywhere card-facts">
        {online
          ? 'Connected now'
          : presence === 'unknown'
            ? `Status unknown while you are offline · last seen ${relativeTime(record.lastSeenAt)}`
            : `Last seen ${relativeTime(record.lastSeenAt)}`}
        {health ? ` · ${health.hostname} · ${health.platform} · viber ${health.version}` : ''}
        {health && !health.capabilities.networkIsolation
          ? ' · cannot isolate network (tasks without network are refused)'
          : ''}
      </p>
      {health?.needsUpdate || viber.olderVersion ? (
        // [S12] Its presence names an older document schema (or none), or it met documents newer than it
        // reads: then it prepares and runs nothing from them.
        <p class="field-error" role="status" data-testid="viber-needs-update">
          This Viber runs an older version — update it: stop it and start it again with the command from Add a
          Viber.
          {health?.needsUpdate ? ' Until then it reads your environments but prepares and runs nothing.' : ''}
        </p>
      ) : null}
      {health && (
        <p class="hint wrap-anywhere card-line" data-testid="viber-trust">
          {health.trust === 'pinned' ? (
            health.trustedKeyFingerprint === app.signing.fingerprint.value ? (
              <>Runs only what you sign</>
            ) : (
              <span class="field-error">
                Pinned to another signing key ({health.trustedKeyFingerprint}): it will not run what you sign.
                Onboard it again with --trust.
              </span>
            )
          ) : (
            <strong>Trusts the server</strong>
          )}
          {health.trust === 'pinned'
            ? ''
            : ': it runs what the server sends. Onboard it again with --trust to pin your key.'}
          {health.capabilities.hidesKeys === false ? ' · cannot hide its keys from tasks' : ''}
        </p>
      )}
      <p class="hint card-line">
        Key fingerprint <KeyFingerprint publicKey={record.publicKey} />
        {namesake && (
          <>
            {' '}
            · another Viber has this name: this one is shown as{' '}
            <strong>{viberLabel(record, app.workspace.vibers.value)}</strong>
          </>
        )}
      </p>
      {app.signing.review.value.keyChanged[record.id] && (
        <ViberKeyChanged
          viberId={record.id}
          name={record.name}
          now={record.publicKey}
          confirmed={app.signing.review.value.keyChanged[record.id]}
        />
      )}
      <div class="row wrap card-actions">
        {!renaming.value && (
          <button
            class="btn small"
            onClick={() => (renaming.value = true)}
            aria-label={`Rename ${record.name}`}
          >
            Rename
          </button>
        )}
        <button
          class="btn ghost small danger"
          onClick={() => void remove()}
          aria-label={`Remove ${record.name}`}
        >
          Remove
        </button>
      </div>
    </section>
  );
}
