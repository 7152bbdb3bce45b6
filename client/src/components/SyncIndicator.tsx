// The honest sync state: offline, connecting, syncing (with the count of unsent changes), refused by a
// server limit, or all saved on the server.
import { useApp } from '../app-context.ts';

export function SyncIndicator() {
  const { store, refusal: refused } = useApp();
  const state = store.state.value;
  const unsynced = store.unsynced.value;
  const local = store.pendingLocal.value;
  // [S12] A newer app wrote some of these documents: this one shows what it reads, and says so.
  if (store.newerSchema.value > 0)
    return (
      <span
        class="pill sync-pill"
        data-tone="warn"
        data-testid="sync-indicator"
        data-state="needs-update"
        title="A newer version of OpenViber saved some of your documents. Reload to update the app; until then it shows what it understands."
        role="status"
      >
        <span class="pill-text">Update the app</span>
      </span>
    );
  // [S11a] A server limit refuses a document: not "syncing", which it is not, and not hidden either.
  const refusal = refused.value;
  if (refusal && state !== 'offline')
    return (
      <span
        class="pill sync-pill"
        data-tone="warn"
        data-testid="sync-indicator"
        data-state="refused"
        title={`The server refused to sync a document: ${refusal.reason}. Your changes stay on this device, and the app keeps trying.`}
        role="status"
      >
        <span class="pill-text">Limit · saved here</span>
      </span>
    );
  const label =
    state === 'offline'
      ? unsynced > 0
        ? `Offline · ${unsynced} change${unsynced === 1 ? '' : 's'} to sync`
        : 'Offline · saved here'
      : state === 'connecting'
        ? 'Connecting…'
        : state === 'syncing'
          ? unsynced > 0
            ? `Syncing ${unsynced} change${unsynced === 1 ? '' : 's'}…`
            : 'Syncing…'
          : 'All changes saved';
  const title =
    state === 'saved'
      ? 'Every change is stored on the server.'
      : state === 'offline'
        ? 'Changes are kept on this device and sync when the connection returns.'
        : 'Changes are being sent to the server.';
  return (
    <span
      class="pill sync-pill"
      data-tone={state === 'saved' ? 'ok' : state === 'offline' ? 'neutral' : 'busy'}
      data-testid="sync-indicator"
      data-state={state}
      // The label may end in an ellipsis in a narrow sidebar: the title has it whole.
      title={`${label}. ${title}` + (local ? ` (${local} still being written locally)` : '')}
      role="status"
    >
      <span class="pill-text">{label}</span>
    </span>
  );
}
