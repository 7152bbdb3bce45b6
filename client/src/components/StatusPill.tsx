// A status word with its colour: environment pills, binding status, run state, sync state.
export function StatusPill({ status, label, title }: { status: string; label?: string; title?: string }) {
  const key = status.toLowerCase();
  const busy = ['preparing', 'pending', 'started', 'progress', 'syncing', 'connecting'].includes(key);
  return (
    <span class={`pill ${key}${busy ? ' spin' : ''}`} title={title} data-status={key}>
      {label ?? status.charAt(0).toUpperCase() + status.slice(1)}
    </span>
  );
}
