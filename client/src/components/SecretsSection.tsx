// Secrets: masked, replace or delete only, never shown. New values are sealed on save to every
// registered Viber whose key this device confirmed ([T11]); one whose key changed is named beside the secret.
import type { Environment } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import type { EnvironmentForm, SecretRow } from '../models/environment-form.ts';

export function SecretsSection({ form, env }: { form: EnvironmentForm; env: Environment | undefined }) {
  const app = useApp();
  const e = form.errors.value;
  const vibers = app.workspace.vibers.value;
  const views = app.vibers.views.value;
  const boundViberIds = new Set(
    app.workspace.bindings.value.filter((b) => b.environmentId === env?.id).map((b) => b.viberId),
  );
  // While this device is offline a holder may well be online: do not ask for the value again then.
  const anyHolderOnline = (row: SecretRow) =>
    row.sealedFor.some((id) => views.get(id)?.presence !== 'offline' && views.has(id));
  /** Vibers whose registry key is not the one this device confirmed: a save seals nothing for them. */
  const keyChanged = app.signing.review.value.keyChanged;
  return (
    <div>
      <h3 class="subhead">Secrets</h3>
      {!vibers.length && (
        <div class="callout warn" data-testid="secrets-need-viber">
          Secrets are encrypted to your Vibers’ keys before they leave this browser, and you have no Viber
          yet. You can type them now: Save keeps everything else, and the secrets wait in this tab until you{' '}
          <a href="#/vibers">add a Viber</a>, then they are encrypted and saved. (Their values are never
          written to this device’s storage, so a reload clears them.)
        </div>
      )}
      {!form.secrets.value.length && <p class="hint list-note">No secrets.</p>}
      {form.secrets.value.map((row) => {
        const editing = row.action === 'new' || row.action === 'replace';
        // Named beside the secret: saved without a copy for these (the last save), or about to be.
        // (Once the user trusted the new key the note goes: re-encrypting is then the holders' part.)
        const notSealed = new Map(
          (row.notSealedFor ?? [])
            .filter((v) => keyChanged[v.id] || !app.signing.canSign.value)
            .map((v) => [v.id, v.name]),
        );
        if (editing)
          for (const v of vibers) if (keyChanged[v.id] && !notSealed.has(v.id)) notSealed.set(v.id, v.name);
        const missing =
          row.action === 'keep'
            ? [...boundViberIds].filter((id) => !row.sealedFor.includes(id) && !notSealed.has(id))
            : [];
        return (
          <div key={row.rowId} data-testid="secret-row" class="secret-row">
            <div class="kv">
              <div class={e[`secret:${row.rowId}:key`] ? 'invalid' : ''}>
                {row.action === 'new' ? (
                  <input
                    aria-label="Secret name"
                    aria-invalid={Boolean(e[`secret:${row.rowId}:key`])}
                    aria-describedby={
                      e[`secret:${row.rowId}:key`] ? `secret-${row.rowId}-key-error` : undefined
                    }
                    class="mono"
                    placeholder="SECRET_NAME"
                    value={row.key}
                    onInput={(ev) => form.updateSecret(row.rowId, { key: ev.currentTarget.value })}
                  />
                ) : (
                  <div class={`mono secret-key${row.action === 'delete' ? ' deleted' : ''}`}>{row.key}</div>
                )}
                {e[`secret:${row.rowId}:key`] && (
                  <span class="field-error" role="alert" id={`secret-${row.rowId}-key-error`}>
                    {e[`secret:${row.rowId}:key`]}
                  </span>
                )}
              </div>
              <div class={e[`secret:${row.rowId}:value`] ? 'invalid' : ''}>
                {editing ? (
                  <>
                    <input
                      type="password"
                      autoComplete="off"
                      aria-label={`Value of ${row.key || 'secret'}`}
                      aria-invalid={Boolean(e[`secret:${row.rowId}:value`])}
                      aria-describedby={
                        e[`secret:${row.rowId}:value`] ? `secret-${row.rowId}-value-error` : undefined
                      }
                      placeholder={row.action === 'replace' ? 'New value' : 'Value'}
                      value={row.value}
                      onInput={(ev) => form.updateSecret(row.rowId, { value: ev.currentTarget.value })}
                    />
                    <div class="row secret-scope">
                      <span class="hint">Available to</span>
                      <select
                        value={row.scope}
                        onChange={(ev) =>
                          form.updateSecret(row.rowId, {
                            scope: ev.currentTarget.value as SecretRow['scope'],
                          })
                        }
                        aria-label="Scope"
                      >
                        <option value="runtime">setup and tasks</option>
                        <option value="setup">setup scripts only</option>
                      </select>
                    </div>
                  </>
                ) : row.action === 'delete' ? (
                  <div class="masked">Deleted when you save</div>
                ) : (
                  <div
                    class="masked"
                    title="Secrets cannot be shown, only replaced or deleted"
                    data-testid="secret-masked"
                  >
                    ••••••••••
                  </div>
                )}
                {e[`secret:${row.rowId}:value`] && (
                  <span class="field-error" role="alert" id={`secret-${row.rowId}-value-error`}>
                    {e[`secret:${row.rowId}:value`]}
                  </span>
                )}
                {editing && !row.value && row.key && (
                  <span class="hint">Enter the value (values are never kept on this device).</span>
                )}
              </div>
              <div class="row">
                {row.action === 'keep' && (
                  <>
                    <button
                      type="button"
                      class="btn small"
                      onClick={() => form.updateSecret(row.rowId, { action: 'replace' })}
                    >
                      Replace
                    </button>
                    <button
                      type="button"
                      class="btn ghost small danger"
                      onClick={() => form.updateSecret(row.rowId, { action: 'delete' })}
                    >
                      Delete
                    </button>
                  </>
                )}
                {(row.action === 'replace' || row.action === 'delete') && (
                  <button
                    type="button"
                    class="btn ghost small"
                    onClick={() => form.updateSecret(row.rowId, { action: 'keep', value: '' })}
                  >
                    Undo
                  </button>
                )}
                {row.action === 'new' && (
                  <button
                    type="button"
                    class="btn ghost small"
                    onClick={() => form.removeSecretRow(row.rowId)}
                  >
                    Remove
                  </button>
                )}
              </div>
            </div>
            {notSealed.size > 0 && (
              <div class="field-error" role="status" data-testid="secret-not-sealed">
                {[...notSealed.values()].map((name) => (
                  <div key={name}>
                    Not sealed for {name}: its key changed — compare fingerprints on the{' '}
                    <a href="#/vibers">Vibers page</a>.
                  </div>
                ))}
              </div>
            )}
            {row.action === 'keep' && (
              <div class="hint secret-facts">
                {row.scope === 'setup' ? 'Setup scripts only' : 'Setup and tasks'} · encrypted for{' '}
                {row.sealedFor.length} Viber{row.sealedFor.length === 1 ? '' : 's'}
                {missing.length > 0 &&
                  (anyHolderOnline(row) ? (
                    <span>
                      {' '}
                      · waiting for an online Viber to re-encrypt it for{' '}
                      {missing.map((id) => views.get(id)?.record.name ?? id).join(', ')}
                    </span>
                  ) : (
                    <span class="warn-text">
                      {' '}
                      · {missing.map((id) => views.get(id)?.record.name ?? id).join(', ')} cannot read it yet
                      and no Viber holding it is online:{' '}
                      <a
                        href="#"
                        onClick={(ev) => {
                          ev.preventDefault();
                          form.updateSecret(row.rowId, { action: 'replace' });
                        }}
                      >
                        enter the value again
                      </a>
                    </span>
                  ))}
              </div>
            )}
          </div>
        );
      })}
      <button type="button" class="btn small" onClick={form.addSecret} data-testid="add-secret">
        + Add secret
      </button>
    </div>
  );
}
