// Every document the app opens: one multiplexed websocket, a provider per document, IndexedDB per document.
import { computed, signal } from '@preact/signals';
import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { persistLocally, type LocalPersistence } from './local-persistence.ts';

export interface OpenDoc {
  name: string;
  doc: Y.Doc;
  provider: HocuspocusProvider;
  /** Resolves once IndexedDB's copy is loaded. */
  loaded: Promise<void>;
  /** Drops this user of the document; the last release closes it. */
  release(): void;
}

interface Entry {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  local: LocalPersistence;
  refs: number;
  synced: boolean;
}

export type SyncState = 'offline' | 'connecting' | 'syncing' | 'saved';

/** Opens documents over one `HocuspocusProviderWebsocket`; every provider on it calls `attach()`. */
export function createDocStore(options: {
  url: string;
  token: string;
  onAuthFailed: (reason: string) => void;
}) {
  const socket = new HocuspocusProviderWebsocket({ url: options.url, maxDelay: 10_000 });
  const entries = new Map<string, Entry>();
  const socketStatus = signal<WebSocketStatus>(socket.status);
  const browserOnline = signal(typeof navigator === 'undefined' ? true : navigator.onLine);
  /** Bumped when any provider's synced flag or unsynced count changes, or a local write lands. */
  const tick = signal(0);
  const bump = () => {
    tick.value++;
  };

  socket.on('status', ({ status }: { status: WebSocketStatus }) => {
    socketStatus.value = status;
  });
  const onOnline = () => {
    browserOnline.value = navigator.onLine;
    if (navigator.onLine) void socket.connect();
  };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOnline);

  function open(name: string): OpenDoc {
    let entry = entries.get(name);
    if (!entry) {
      const doc = new Y.Doc();
      const local = persistLocally(name, doc);
      local.onPendingChange(bump);
      const provider = new HocuspocusProvider({
        name,
        document: doc,
        token: options.token,
        websocketProvider: socket,
        onAuthenticationFailed: ({ reason }) => options.onAuthFailed(reason),
      });
      const created: Entry = { doc, provider, local, refs: 0, synced: false };
      provider.on('synced', ({ state }: { state: boolean }) => {
        created.synced = state;
        bump();
      });
      provider.on('unsyncedChanges', bump);
      // Local state first: the server's copy merges into what IndexedDB had.
      void local.loaded.then(() => {
        if (entries.get(name) === created) provider.attach();
      });
      entries.set(name, created);
      entry = created;
      bump();
    }
    entry.refs++;
    const current = entry;
    let released = false;
    return {
      name,
      doc: current.doc,
      provider: current.provider,
      loaded: current.local.loaded,
      release: () => {
        if (released) return;
        released = true;
        current.refs--;
        if (current.refs > 0) return;
        // Keep the document open a moment: views often release and reopen the same one.
        setTimeout(() => {
          if (current.refs > 0 || entries.get(name) !== current) return;
          // Never close with unsent changes: they would wait in IndexedDB until the next open.
          if (current.provider.hasUnsyncedChanges) return;
          entries.delete(name);
          current.provider.destroy();
          void current.local.destroy();
          current.doc.destroy();
          bump();
        }, 5_000);
      },
    };
  }

  /** Changes not yet confirmed by the server, summed over open documents. */
  const unsynced = computed(() => {
    void tick.value;
    let n = 0;
    for (const e of entries.values()) n += e.provider.unsyncedChanges;
    return n;
  });
  const pendingLocal = computed(() => {
    void tick.value;
    let n = 0;
    for (const e of entries.values()) n += e.local.pending();
    return n;
  });
  const state = computed<SyncState>(() => {
    void tick.value;
    if (!browserOnline.value || socketStatus.value === WebSocketStatus.Disconnected) return 'offline';
    if (socketStatus.value === WebSocketStatus.Connecting) return 'connecting';
    for (const e of entries.values()) if (e.provider.isAttached && !e.synced) return 'syncing';
    return unsynced.value > 0 ? 'syncing' : 'saved';
  });

  return {
    open,
    state,
    unsynced,
    pendingLocal,
    destroy() {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOnline);
      for (const e of entries.values()) {
        e.provider.destroy();
        void e.local.destroy();
        e.doc.destroy();
      }
      entries.clear();
      socket.destroy();
    },
  };
}

export type DocStore = ReturnType<typeof createDocStore>;
