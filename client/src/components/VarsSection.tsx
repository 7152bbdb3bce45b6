// Plain environment variables: name and value rows.
import type { EnvironmentForm } from '../models/environment-form.ts';

export function VarsSection({ form }: { form: EnvironmentForm }) {
  const e = form.errors.value;
  return (
    <div class="vars">
      <h3 class="subhead">Variables</h3>
      {!form.vars.value.length && <p class="hint list-note">No variables.</p>}
      {form.vars.value.map((row) => (
        <div class="kv" key={row.rowId}>
          <div class={e[`var:${row.rowId}`] ? 'invalid' : ''}>
            <input
              aria-label="Variable name"
              aria-invalid={Boolean(e[`var:${row.rowId}`])}
              aria-describedby={e[`var:${row.rowId}`] ? `var-${row.rowId}-error` : undefined}
              class="mono"
              placeholder="NAME"
              value={row.key}
              onInput={(ev) => form.updateVar(row.rowId, { key: ev.currentTarget.value })}
            />
            {e[`var:${row.rowId}`] && (
              <span class="field-error" role="alert" id={`var-${row.rowId}-error`}>
                {e[`var:${row.rowId}`]}
              </span>
            )}
          </div>
          <input
            aria-label={`Value of ${row.key || 'variable'}`}
            class="mono"
            placeholder="value"
            value={row.value}
            onInput={(ev) => form.updateVar(row.rowId, { value: ev.currentTarget.value })}
          />
          <button
            type="button"
            class="btn ghost small"
            onClick={() => form.removeVar(row.rowId)}
            aria-label={`Remove ${row.key}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="btn small" onClick={form.addVar}>
        + Add variable
      </button>
    </div>
  );
}
