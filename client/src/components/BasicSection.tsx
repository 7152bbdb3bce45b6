// The editor's Basic section: name, description, type, and where the code comes from.
import type { EnvironmentForm } from '../models/environment-form.ts';
import { Field } from './Field.tsx';
import { textFieldProps, type TextField } from './text-field-props.ts';

export function BasicSection({ form }: { form: EnvironmentForm }) {
  const f = form.fields.value;
  const e = form.errors.value;
  const text = (key: TextField) => textFieldProps(form, key);
  return (
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
  );
}
