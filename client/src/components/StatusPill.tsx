// A status word with its colour: environment pills, binding status, run state, sync state.
/** Run states in the words a user reads; the data-status attribute keeps the model's value. */
const RUN_LABELS: Record<string, string> = {
  started: 'Running',
  progress: 'Running',
  completed: 'Done',
  error: 'Failed',
};

export function StatusPill({
  status,
  label,
  title,
  run,
}: {
  status: string;
  label?: string;
  title?: string;
  run?: boolean;
}) {
  const key = status.toLowerCase();
  const busy = ['preparing', 'pending', 'started', 'progress', 'syncing', 'connecting'].includes(key);
  return (
    <span class={`pill ${key}${busy ? ' spin' : ''}`} title={title} data-status={key}>
      {label ?? (run ? RUN_LABELS[key] : undefined) ?? status.charAt(0).toUpperCase() + status.slice(1)}
    </span>
  );
}
