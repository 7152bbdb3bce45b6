// Props that bind a text input of the environment editor to its draft field, with its error state.
import type { EnvironmentForm } from '../models/environment-form.ts';

export type TextField =
  | 'name'
  | 'description'
  | 'repoUrl'
  | 'repoBranch'
  | 'localPath'
  | 'containerImage'
  | 'workingDir'
  | 'agentCommand';

export function textFieldProps(form: EnvironmentForm, key: TextField) {
  return {
    id: `env-${key}`,
    name: key,
    value: form.fields.value[key],
    onInput: (ev: Event) => form.set(key, (ev.currentTarget as HTMLInputElement).value),
    // Checked on leaving the field, with the same shared validators as Save.
    onBlur: () => form.checkField(key),
    'aria-invalid': Boolean(form.errors.value[key]),
    'aria-describedby': form.errors.value[key] ? `env-${key}-error` : undefined,
  };
}
