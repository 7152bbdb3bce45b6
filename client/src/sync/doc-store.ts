// Every document the app opens: one multiplexed websocket, a provider per document, IndexedDB per document.
import { computed, signal } from '@preact/signals';
import {
  HocuspocusProvider,
  HocuspocusProviderWebsocket,
  WebSocketStatus,
  type HocuspocusProviderConfiguration,
} from '@hocuspocus/provider';
import { compactDeletedKeys, parseDocName } from '@openviber/shared';
import * as Y from 'yjs';
import { checkDocumentSchema } from './document-schema.ts';
import { persistLocally, type LocalPersistence } from './local-persistence.ts';

export interface OpenDoc {
  name: string;
  doc: Y.Doc;
  provider: HocuspocusProvider;
  /** Resolves once IndexedDB's copy is loaded. */
  loaded: Promise<void>;
  /**
   * Resolves once every local write made so far is on this device's disk (IndexedDB confirmed it);
   * rejects when the store was destroyed (sign-out) first.
   */
  storedLocally(): Promise<void>;
  /**
   * Resolves once the server's copy has been merged in, at once when this device is offline, and
   * after `ms` at the latest: what is appended then goes after what the server holds (a message
   * appended to a copy not yet synced could land before every earlier one).
   */
  syncedOrAfter(ms: number): Promise<void>;
  /** Drops this user of the document; the last release closes it. */
  release(): void;
}

interface Entry {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  local: LocalPersistence;
  refs: number;
}

export type SyncState = 'offline' | 'connecting' | 'syncing' | 'saved';

/** What the store takes from the browser; a unit test gives its own (real Y.Docs, no browser). */
export interface DocStoreEnv {
  /** Where the names of unconfirmed documents outlive the page (localStorage). */
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** The device's network flag, and a subscription to its changes (returns the unsubscribe). */
  online(): boolean;
  onOnlineChange(listener: () => void): () => void;
  socket(url: string): HocuspocusProviderWebsocket;
  provider(config: HocuspocusProviderConfiguration): HocuspocusProvider;
  persist(name: string, doc: Y.Doc): LocalPersistence;
}

const browserEnv = (): DocStoreEnv => ({
  storage: localStorage,
  online: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
  onOnlineChange(listener) {
    window.addEventListener('online', listener);
    window.addEventListener('offline', listener);
    return () => {
      window.removeEventListener('online', listener);
      window.removeEventListener('offline', listener);
    };
  },
  socket: (url) => new HocuspocusProviderWebsocket({ url, maxDelay: 10_000 }),
  provider: (config) => new HocuspocusProvider(config),
  persist: persistLocally,
});

/**
 * Names of documents with local edits the server has not confirmed, kept in localStorage: at the next
 * start they are opened even if no view needs them, so an edit made offline always reaches the server.
 */
function pendingNames(storage: DocStoreEnv['storage'], key: string) {
  const read = (): string[] => {
    try {
      const v = JSON.parse(storage.getItem(key) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
    } catch {
      return [];
    }
  };
  const write = (names: string[]) =>
    names.length ? storage.setItem(key, JSON.stringify(names)) : storage.removeItem(key);
  return {
    list: read,
    add: (name: string) => {
      const names = read();
      if (!names.includes(name)) write([...names, name]);
    },
    remove: (name: string) => {
      const names = read();
      if (names.includes(name)) write(names.filter((n) => n !== name));
    },
  };
}

/** Opens documents over one `HocuspocusProviderWebsocket`; every provider on it calls `attach()`. */
export function createDocStore(
  options: {
    url: string;
    token: string;
    userId: string;
    /** A document was refused: for the workspace (always allowed to its owner) that means the token is no longer valid. */
    onAuthFailed: (docName: string, reason: string) => void;
  },
  env: DocStoreEnv = browserEnv(),
) {
  const pending = pendingNames(env.storage, `openviber.unsynced.${options.userId}`);
  const socket = env.socket(options.url);
  const entries = new Map<string, Entry>();
  let destroyed = false;
  const socketStatus = signal<WebSocketStatus>(socket.status);
  const browserOnline = signal(env.online());
  /** Bumped when any provider's synced flag or unsynced count changes, or a local write lands. */
  const tick = signal(0);
  /** The newest document schema met that this app does not fully read ([S12]); 0 when none. */
  const newerSchema = signal(0);
  const bump = () => {
    tick.value++;
  };

  socket.on('status', ({ status }: { status: WebSocketStatus }) => {
    socketStatus.value = status;
  });
  const stopOnline = env.onOnlineChange(() => {
    browserOnline.value = env.online();
    if (browserOnline.value) void socket.connect();
  });

  function open(name: string): OpenDoc {
    let entry = entries.get(name);
    if (!entry) {
      const doc = new Y.Doc();
      const local = env.persist(name, doc);
      local.onPendingChange(bump);
      const provider = env.provider({
        name,
        document: doc,
        token: options.token,
        websocketProvider: socket,
        onAuthenticationFailed: ({ reason }) => options.onAuthFailed(name, reason),
      });
      const created: Entry = { doc, provider, local, refs: 0 };
      const settle = () => {
        if (provider.isSynced) {
          const newer = checkDocumentSchema(name, doc);
          if (newer > newerSchema.peek()) newerSchema.value = newer;
        }
        if (provider.isSynced && provider.unsyncedChanges === 0) pending.remove(name);
        bump();
      };
      provider.on('synced', settle);
      provider.on('unsyncedChanges', settle);
      // [D9] What deletions left in this device's copy of the workspace goes as the server's does:
      // after the local copy loads and at each sync (y-indexeddb keeps the compacted form once it
      // next rewrites its copy).
      const compact = parseDocName(name)?.kind === 'workspace' ? () => compactDeletedKeys(doc) : undefined;
      if (compact) provider.on('synced', compact);
      // A local edit (not the server's update, not IndexedDB's replay) is pending until the server confirms it.
      doc.on('update', (_u: Uint8Array, origin: unknown) => {
        if (origin !== provider && origin !== local.origin) pending.add(name);
      });
      // Local state first: the server's copy merges into what IndexedDB had.
      void local.loaded.then(() => {
        compact?.();
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
      // Not while the server cannot be reached: the browser may say it is online (a phone resuming,
      // the server down) while every connection attempt fails; waiting then only hid the message.
      syncedOrAfter: (ms) =>
        new Promise<void>((resolve) => {
          const { provider } = current;
          const unreachable = () => socketStatus.peek() === WebSocketStatus.Disconnected;
          if (provider.isSynced || !env.online() || unreachable()) return resolve();
          const done = () => {
            clearTimeout(timer);
            provider.off('synced', onSynced);
            socket.off('status', onStatus);
            resolve();
          };
          const onSynced = () => {
            if (provider.isSynced) done();
          };
          const onStatus = ({ status }: { status: WebSocketStatus }) => {
            if (status === WebSocketStatus.Disconnected) done();
          };
          const timer = setTimeout(done, ms);
          provider.on('synced', onSynced);
          socket.on('status', onStatus);
        }),
      storedLocally: () =>
        new Promise<void>((resolve, reject) => {
          // Closed (signed out): what was written since is in no local copy.
          if (destroyed) return reject(new Error(`${name} was closed before it was stored`));
          const stored = () => current.local.pending() === 0;
          if (stored()) return resolve();
          const stop = current.local.onPendingChange(() => {
            if (!stored()) return;
            stop();
            resolve();
          });
        }),
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

  // Documents edited in an earlier session and not yet confirmed: open them until they are.
  for (const name of pending.list()) {
    const handle = open(name);
    const entry = entries.get(name)!;
    const check = () => {
      if (entry.provider.isSynced && !entry.provider.hasUnsyncedChanges) {
        entry.provider.off('synced', check);
        entry.provider.off('unsyncedChanges', check);
        handle.release();
      }
    };
    entry.provider.on('synced', check);
    entry.provider.on('unsyncedChanges', check);
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
    // The provider's own flag: it drops to false when the socket closes (without an event).
    for (const e of entries.values()) if (e.provider.isAttached && !e.provider.isSynced) return 'syncing';
    return unsynced.value > 0 ? 'syncing' : 'saved';
  });

  return {
    open,
    state,
    /** The browser's own network flag: offline here is this device, not a Viber. */
    browserOnline,
    unsynced,
    pendingLocal,
    newerSchema,
    destroy() {
      destroyed = true;
      stopOnline();
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
