// The editor's Code execution section: image, working directory, setup and maintenance scripts, agent, policies.
import type { EnvironmentForm } from '../models/environment-form.ts';
import { Field } from './Field.tsx';
import { textFieldProps, type TextField } from './text-field-props.ts';

export function ExecutionSection({ form }: { form: EnvironmentForm }) {
  const f = form.fields.value;
  const e = form.errors.value;
  const text = (key: TextField) => textFieldProps(form, key);
  return (
    <section class="card" id="sec-exec">
      <h2>Code execution</h2>
      <p class="hint">How the Viber prepares the environment and runs tasks in it.</p>
      <div class="grid2">
        <Field
          label="Container image"
          id="env-containerImage"
          error={e.containerImage}
          hint="Optional, e.g. node:24."
        >
          <input {...text('containerImage')} placeholder="none: run on the Viber directly" />
        </Field>
        <Field
          label="Working directory"
          id="env-workingDir"
          error={e.workingDir}
          hint="Relative to the checkout."
        >
          <input {...text('workingDir')} placeholder="." />
        </Field>
      </div>
      <div class="field">
        <span class="label">Setup</span>
        <div class="seg" role="group" aria-label="Setup mode">
          <button
            type="button"
            aria-pressed={f.setupMode === 'auto'}
            onClick={() => form.set('setupMode', 'auto')}
          >
            Automatic
          </button>
          <button
            type="button"
            aria-pressed={f.setupMode === 'manual'}
            onClick={() => form.set('setupMode', 'manual')}
          >
            Setup script
          </button>
        </div>
        <span class="hint">
          {f.setupMode === 'auto'
            ? 'The Viber detects the install step from lockfiles (npm ci, pnpm install, pip…).'
            : 'Runs once per change of script, repo revision, variables or secrets.'}
        </span>
      </div>
      {f.setupMode === 'manual' && (
        <Field
          label="Setup script"
          id="env-setupScript"
          error={e.setupScript}
          hint="bash; checked below as you type."
        >
          <textarea
            id="env-setupScript"
            name="setupScript"
            aria-invalid={Boolean(e.setupScript)}
            aria-describedby={e.setupScript ? 'env-setupScript-error' : undefined}
            value={f.setupScript}
            onInput={(ev) => form.set('setupScript', ev.currentTarget.value)}
            placeholder={'npm ci\nnpm run build'}
          />
        </Field>
      )}
      <Field
        label="Maintenance script"
        id="env-maintenanceScript"
        error={e.maintenanceScript}
        hint="Runs instead of setup when nothing changed (e.g. a quick fetch of dependencies)."
      >
        <textarea
          id="env-maintenanceScript"
          name="maintenanceScript"
          class="short"
          value={f.maintenanceScript}
          onInput={(ev) => form.set('maintenanceScript', ev.currentTarget.value)}
        />
      </Field>
      <Field
        label="Agent command"
        id="env-agentCommand"
        error={e.agentCommand}
        hint="Optional. Empty: each message is run as a bash command. Set: each message is handed to this command (a coding agent's CLI)."
      >
        <input {...text('agentCommand')} placeholder="e.g. claude -p" />
      </Field>
      <label class="toggle">
        <input
          type="checkbox"
          checked={f.networkAccess}
          onChange={(ev) => form.set('networkAccess', ev.currentTarget.checked)}
        />
        <span>
          <strong>Network access for tasks</strong>
          <br />
          <span class="hint">
            Off: tasks run without network where the Viber can enforce it; a Viber that cannot refuses such
            tasks.
          </span>
        </span>
      </label>
      <label class="toggle">
        <input
          type="checkbox"
          checked={f.persistVolume}
          onChange={(ev) => form.set('persistVolume', ev.currentTarget.checked)}
        />
        <span>
          <strong>Persistent volume</strong>
          <br />
          <span class="hint">
            Off: each task gets its own git worktree, so parallel tasks never share files.
          </span>
        </span>
      </label>
    </section>
  );
}
