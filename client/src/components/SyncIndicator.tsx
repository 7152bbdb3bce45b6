// The honest sync state: offline, connecting, syncing (with the count of unsent changes), refused by a
// server limit, or all saved on the server.
import { useApp } from '../app-context.ts';

type Tone = 'ok' | 'neutral' | 'busy' | 'warn';

export function SyncIndicator() {
  const { store, refusal: refused } = useApp();
  const state = store.state.value;
  const unsynced = store.unsynced.value;
  const local = store.pendingLocal.value;
  const changes = (n: number) => `${n} change${n === 1 ? '' : 's'}`;
  const refusal = refused.value;
  const [dataState, tone, label, title]: [string, Tone, string, string] =
    // [S12] A newer app wrote some of these documents: this one shows what it reads, and says so.
    store.newerSchema.value > 0
      ? [
          'needs-update',
          'warn',
          'Update the app',
          'A newer version of OpenViber saved some of your documents. Reload to update the app; until then it shows what it understands.',
        ]
      : // [S11a] A server limit refuses a document: not "syncing", which it is not, nor hidden.
        refusal && state !== 'offline'
        ? [
            'refused',
            'warn',
            'Limit · saved here',
            `The server refused to sync a document: ${refusal.reason}. Your changes stay on this device, and the app keeps trying.`,
          ]
        : state === 'offline'
          ? [
              state,
              'neutral',
              unsynced > 0 ? `Offline · ${changes(unsynced)} to sync` : 'Offline · saved here',
              'Changes are kept on this device and sync when the connection returns.',
            ]
          : state === 'saved'
            ? [state, 'ok', 'All changes saved', 'Every change is stored on the server.']
            : [
                state,
                'busy',
                state === 'connecting'
                  ? 'Connecting…'
                  : unsynced > 0
                    ? `Syncing ${changes(unsynced)}…`
                    : 'Syncing…',
                'Changes are being sent to the server.',
              ];
  return (
    <span
      class="pill sync-pill"
      data-tone={tone}
      data-testid="sync-indicator"
      data-state={dataState}
      // The label may end in an ellipsis in a narrow sidebar: the title has it whole.
      title={`${label}. ${title}` + (local ? ` (${local} still being written locally)` : '')}
      role="status"
    >
      <span class="pill-text">{label}</span>
    </span>
  );
}
