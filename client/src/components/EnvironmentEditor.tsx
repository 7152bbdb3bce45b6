// Create or edit an environment in the design's four sections: Basic, Code execution, Variables, Validation.
import { useEffect } from 'preact/hooks';
import { useApp, useModel } from '../app-context.ts';
import { createEnvironmentForm } from '../models/environment-form.ts';
import { Field } from './Field.tsx';
import { SecretsSection } from './SecretsSection.tsx';
import { ValidationSection } from './ValidationSection.tsx';
import { VarsSection } from './VarsSection.tsx';

export function EnvironmentEditor({ envId }: { envId: string | null }) {
  const app = useApp();
  const env = envId ? app.workspace.environments.value.find((e) => e.id === envId) : undefined;
  const form = useModel(
    () => ({ ...createEnvironmentForm(app.workspace, env), dispose: () => undefined }),
    [envId, Boolean(env)],
  );
  // Live edits from other devices (or the re-seal copier) flow into the fields this editor has not touched.
  // (Keyed on the content, not on updatedAt: concurrent edits may leave updatedAt unchanged here.)
  const content = env ? JSON.stringify({ ...env, updatedAt: 0, problems: [] }) : '';
  useEffect(() => {
    if (env && !form.isNew && !form.saving.value) form.rebase(env);
  }, [content]);
  if (envId && !env) {
    return (
      <div class="page">
        <div class="callout warn">
          This environment no longer exists (it may have been deleted on another device).
        </div>
      </div>
    );
  }
  const f = form.fields.value;
  const e = form.errors.value;
  const text = (
    key:
      | 'name'
      | 'description'
      | 'repoUrl'
      | 'repoBranch'
      | 'localPath'
      | 'containerImage'
      | 'workingDir'
      | 'agentCommand',
  ) => ({
    id: `env-${key}`,
    name: key,
    value: f[key],
    onInput: (ev: Event) => form.set(key, (ev.currentTarget as HTMLInputElement).value),
    'aria-invalid': Boolean(e[key]),
  });

  async function save(ev: Event) {
    ev.preventDefault();
    const id = await form.save();
    if (id && form.isNew) {
      app.ui.selectEnv(id);
      app.router.go({ view: 'env-edit', envId: id });
    }
  }

  const errorCount = Object.values(e).filter(Boolean).length;
  return (
    <form class="page" onSubmit={save} noValidate>
      <div class="page-head">
        <div>
          <h1>{form.isNew ? 'Create environment' : `Edit ${env?.name}`}</h1>
          <p>
            Where code comes from, how it is prepared, and what it can see. Saved on this device at once,
            synced when online.
          </p>
        </div>
        {env && (
          <button
            type="button"
            class="btn"
            onClick={() => app.router.go({ view: 'mappings', envId: env.id })}
          >
            Map to Viber →
          </button>
        )}
      </div>
      <nav class="section-nav" aria-label="Sections">
        <a
          href="#sec-basic"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-basic')?.scrollIntoView();
          }}
        >
          Basic
        </a>
        <a
          href="#sec-exec"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-exec')?.scrollIntoView();
          }}
        >
          Code execution
        </a>
        <a
          href="#sec-vars"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-vars')?.scrollIntoView();
          }}
        >
          Variables & secrets
        </a>
        <a
          href="#sec-validation"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-validation')?.scrollIntoView();
          }}
        >
          Validation
        </a>
      </nav>

      <section class="card" id="sec-basic">
        <h2>Basic</h2>
        <p class="hint">A name, and where the code comes from.</p>
        <Field label="Name" id="env-name" error={e.name}>
          <input {...text('name')} placeholder="e.g. api-server" />
        </Field>
        <Field label="Description" id="env-description" error={e.description} hint="Optional.">
          <input {...text('description')} placeholder="What this environment is for" />
        </Field>
        <div class="field">
          <span class="label">Type</span>
          <div class="seg" role="group" aria-label="Type">
            {(
              [
                ['github', 'Git repository'],
                ['local', 'Local folder'],
                ['manual', 'Manual'],
              ] as const
            ).map(([value, label]) => (
              <button
                type="button"
                key={value}
                aria-pressed={f.type === value}
                onClick={() => form.set('type', value)}
              >
                {label}
              </button>
            ))}
          </div>
          <span class="hint">
            {f.type === 'github'
              ? 'The Viber clones the repository (https, ssh or file URL) and keeps it up to date.'
              : f.type === 'local'
                ? 'A folder that already exists on the Viber.'
                : 'No source: the setup script prepares everything.'}
          </span>
        </div>
        {f.type === 'github' && (
          <div class="grid2">
            <Field label="Repository URL" id="env-repoUrl" error={e.repoUrl}>
              <input {...text('repoUrl')} placeholder="https://github.com/org/repo.git" />
            </Field>
            <Field label="Branch" id="env-repoBranch" error={e.repoBranch} hint="Empty: the default branch.">
              <input {...text('repoBranch')} placeholder="main" />
            </Field>
          </div>
        )}
        {f.type === 'local' && (
          <Field
            label="Local path"
            id="env-localPath"
            error={e.localPath}
            hint="An absolute path on the Viber."
          >
            <input {...text('localPath')} placeholder="/home/me/projects/app" />
          </Field>
        )}
      </section>

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
            style="min-height:70px"
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

      <section class="card" id="sec-vars">
        <h2>Variables & secrets</h2>
        <p class="hint">
          Variables are plain. Secrets are encrypted in this browser to your Vibers’ keys; nobody can read
          them back here.
        </p>
        <VarsSection form={form} />
        <SecretsSection form={form} env={env} />
      </section>

      <ValidationSection form={form} env={env} />

      <div class="sticky-actions">
        <button class="btn primary" type="submit" disabled={form.saving.value} data-testid="save-env">
          {form.saving.value ? 'Encrypting and saving…' : form.isNew ? 'Create environment' : 'Save changes'}
        </button>
        {errorCount ? (
          <button
            type="button"
            class="btn ghost small"
            style="color:var(--err)"
            onClick={() => document.querySelector('.invalid')?.scrollIntoView({ block: 'center' })}
          >
            {errorCount === 1 ? '1 field needs attention' : `${errorCount} fields need attention`} ↑
          </button>
        ) : form.savedAt.value && !form.dirty.value ? (
          <span class="hint" data-testid="saved-note">
            Saved.
          </span>
        ) : form.dirty.value ? (
          <span class="hint">Unsaved changes</span>
        ) : null}
        <span class="grow" />
        {env && (
          <button
            type="button"
            class="btn danger"
            onClick={() => {
              if (confirm(`Delete ${env.name}, its mappings and its tasks?`)) {
                app.workspace.deleteEnvironment(env.id);
                app.router.go({ view: 'home' });
              }
            }}
          >
            Delete
          </button>
        )}
      </div>
    </form>
  );
}
