// A labelled form field with its hint and, next to it, its error.
import type { ComponentChildren } from 'preact';

export function Field({
  label,
  id,
  error,
  hint,
  children,
}: {
  label: string;
  id: string;
  error?: string;
  hint?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${error ? ' invalid' : ''}`} data-field={id}>
      <label for={id}>{label}</label>
      {children}
      {error ? (
        <span class="field-error" role="alert" id={`${id}-error`}>
          {error}
        </span>
      ) : (
        hint && <span class="hint">{hint}</span>
      )}
    </div>
  );
}
