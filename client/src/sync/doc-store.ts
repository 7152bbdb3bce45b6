// Every document the app opens: one multiplexed websocket, a provider per document, IndexedDB per document.
import { computed, signal } from '@preact/signals';
import {
  HocuspocusProvider,
  HocuspocusProviderWebsocket,
  WebSocketStatus,
  type HocuspocusProviderConfiguration,
} from '@hocuspocus/provider';
import {
  LIMIT_CLOSE_CODE,
  MAX_STORE_QUESTION_DOCS,
  readLimitReason,
  compactDeletedKeys,
  parseDocName,
  parseStoreAnswer,
  type StoreQuestion,
} from '@openviber/shared';
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
  /** Limit refusals in a row, and the pending retry after the last one. */
  refusals: number;
  retry?: ReturnType<typeof setTimeout>;
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
    has: (name: string) => read().includes(name),
  };
}

/** How often, while connected, the app asks whether acknowledged edits are stored ([V1]); and how long it waits for an answer. */
export const STORE_CHECK_MS = 1_000;
export const STORE_ANSWER_MS = 5_000;
/** A released document stays open this long (views release and reopen), and until its edits are stored. */
export const CLOSE_AFTER_MS = 5_000;
/** A document a limit refused is tried again after this, doubling while refused, up to LIMIT_RETRY_MAX_MS. */
export const LIMIT_RETRY_MS = 2_000;
export const LIMIT_RETRY_MAX_MS = 60_000;

/** Opens documents over one `HocuspocusProviderWebsocket`; every provider on it calls `attach()`. */
export function createDocStore(
  options: {
    url: string;
    token: string;
    userId: string;
    /**
     * A document was refused, with the server's reason: at authentication (for the workspace, always
     * allowed to its owner, `permission-denied` means the token is no longer valid; a limit names
     * itself), or a change of it closed by a limit (a reason in limitReason's form, or a socket closed
     * with LIMIT_CLOSE_CODE). A limit's reason is passed without its code.
     */
    onRefused: (docName: string, reason: string) => void;
    /**
     * A document a limit refused is refused no more: it synced again with every change of it
     * acknowledged, or it was closed with nothing of it waiting to be sent.
     */
    onRecovered?: (docName: string) => void;
  },
  env: DocStoreEnv = browserEnv(),
) {
  const pending = pendingNames(env.storage, `openviber.unsynced.${options.userId}`);
  const socket = env.socket(options.url);
  const entries = new Map<string, Entry>();
  let destroyed = false;
  const socketStatus = signal<WebSocketStatus>(socket.status);
  // [V1] An acknowledgement means "in the server's memory": a document stays pending (remembered,
  // held open, reopened at the next start) until the server says its edits are stored.
  /** Pending documents whose edits the server acknowledged: asked about until it says they are stored. */
  const acknowledged = new Set<string>();
  /** Local edits per document: an answer counts only if none came after its question. */
  const generation = new Map<string, number>();
  /** Questions in flight, by id: when asked, and each document's edits then. */
  const questions = new Map<number, { at: number; asked: Map<string, number> }>();
  let questionId = 0;
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
    if (status !== WebSocketStatus.Disconnected) return;
    // What was acknowledged may die with the server: asked about again once synced again.
    acknowledged.clear();
    questions.clear();
  });

  // Each document is asked about through its own provider (a pending one is held open): the server
  // handles a document's messages in order, so the question comes after every edit sent on it.
  const ask = () => {
    if (destroyed || socketStatus.peek() !== WebSocketStatus.Connected) return;
    const now = Date.now();
    for (const [id, q] of questions) if (now - q.at >= STORE_ANSWER_MS) questions.delete(id);
    if (questions.size > 0) return;
    for (const name of [...acknowledged].slice(0, MAX_STORE_QUESTION_DOCS)) {
      const provider = entries.get(name)?.provider;
      if (!provider?.isSynced) continue;
      const asked: StoreQuestion = { t: 'stored?', id: ++questionId, docs: [name] };
      questions.set(asked.id, { at: now, asked: new Map([[name, generation.get(name) ?? 0]]) });
      provider.sendStateless(JSON.stringify(asked));
    }
  };
  const asking = setInterval(ask, STORE_CHECK_MS);
  const onAnswer = ({ payload }: { payload: string }) => {
    const answer = parseStoreAnswer(payload);
    const asked = answer && questions.get(answer.id);
    if (!answer || !asked) return;
    questions.delete(answer.id);
    const unstored = new Set(answer.unstored);
    for (const [name, edits] of asked.asked) {
      if (unstored.has(name) || !acknowledged.has(name) || (generation.get(name) ?? 0) !== edits) continue;
      if (entries.get(name)?.provider.hasUnsyncedChanges) continue;
      acknowledged.delete(name);
      pending.remove(name);
    }
    bump();
  };
  const stopOnline = env.onOnlineChange(() => {
    browserOnline.value = env.online();
    if (browserOnline.value) void socket.connect();
  });

  /**
   * A limit refused `name` (opening it, or a change of it, which stays in this device's copy): said,
   * and tried again later, the wait doubling while the limit still refuses it (a memory limit
   * passes as the user's other documents close).
   */
  function refusedByLimit(entry: Entry, name: string, limit: string): void {
    options.onRefused(name, limit);
    clearTimeout(entry.retry);
    const wait = Math.min(LIMIT_RETRY_MAX_MS, LIMIT_RETRY_MS * 2 ** entry.refusals++);
    entry.retry = setTimeout(() => retryRefused(entry, name), wait);
  }

  /** Authenticates a refused document again (its retry timer, or the user's Try again). */
  function retryRefused(entry: Entry, name: string): void {
    clearTimeout(entry.retry);
    entry.retry = undefined;
    const { provider } = entry;
    if (destroyed || entries.get(name) !== entry || provider.isAuthenticated) return;
    // Not connected: the socket's reconnect authenticates every document again anyway.
    if (socketStatus.peek() !== WebSocketStatus.Connected) return;
    void provider.sendToken().then(() => provider.startSync());
  }

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
        onAuthenticationFailed: ({ reason }) => {
          const limit = readLimitReason(reason);
          if (limit) refusedByLimit(created, name, limit);
          else options.onRefused(name, reason);
        },
      });
      // The server closes one document with a reason only (the provider reports code 1000): a limit's
      // reason says so itself. A whole socket closed by a limit carries the code.
      provider.on('close', ({ event }: { event?: { code?: number; reason?: string } }) => {
        const limit =
          readLimitReason(event?.reason) ??
          (event?.code === LIMIT_CLOSE_CODE ? event.reason || 'refused by a limit' : null);
        if (limit) refusedByLimit(created, name, limit);
      });
      const created: Entry = { doc, provider, local, refs: 0, refusals: 0 };
      const settle = () => {
        // Refused by a limit before, and now synced with nothing left unacknowledged: it passed.
        if (created.refusals > 0 && provider.isSynced && provider.unsyncedChanges === 0) {
          created.refusals = 0;
          options.onRecovered?.(name);
        }
        if (provider.isSynced) {
          const newer = checkDocumentSchema(name, doc);
          if (newer > newerSchema.peek()) newerSchema.value = newer;
        }
        if (provider.isSynced && provider.unsyncedChanges === 0 && pending.has(name)) acknowledged.add(name);
        if (provider.unsyncedChanges > 0) acknowledged.delete(name);
        bump();
      };
      provider.on('synced', settle);
      provider.on('unsyncedChanges', settle);
      provider.on('stateless', onAnswer);
      // [D9] What deletions left in this device's copy of the workspace goes as the server's does:
      // after the local copy loads and at each sync (y-indexeddb keeps the compacted form once it
      // next rewrites its copy).
      const compact = parseDocName(name)?.kind === 'workspace' ? () => compactDeletedKeys(doc) : undefined;
      if (compact) provider.on('synced', compact);
      // A local edit (not the server's update, not IndexedDB's replay) is pending until the server confirms it.
      doc.on('update', (_u: Uint8Array, origin: unknown) => {
        if (origin === provider || origin === local.origin) return;
        pending.add(name);
        generation.set(name, (generation.get(name) ?? 0) + 1);
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
        const closeLater = () =>
          setTimeout(() => {
            if (destroyed || current.refs > 0 || entries.get(name) !== current) return;
            // Never close with edits the server has not stored: open, a reconnect sends them again
            // to a server that lost them; closed, they would wait in IndexedDB until the next open.
            if (current.provider.hasUnsyncedChanges || pending.has(name)) return void closeLater();
            entries.delete(name);
            clearTimeout(current.retry);
            // Refused when opened, and closed with nothing of it waiting: no longer refused here (its
            // notice would otherwise stay until a reload). One holding a change never gets this far.
            if (current.refusals > 0) options.onRecovered?.(name);
            acknowledged.delete(name);
            generation.delete(name);
            current.provider.destroy();
            void current.local.destroy();
            current.doc.destroy();
            bump();
          }, CLOSE_AFTER_MS);
        closeLater();
      },
    };
  }

  // Documents edited in an earlier session and not known stored: open until the server says they
  // are (a released document stays open while pending).
  for (const name of pending.list()) open(name).release();

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
    /** Tries every document a limit refuses again now, rather than at its next retry. */
    retryRefusedNow(): void {
      for (const [name, entry] of entries) if (entry.refusals > 0) retryRefused(entry, name);
    },
    destroy() {
      destroyed = true;
      clearInterval(asking);
      stopOnline();
      for (const e of entries.values()) {
        clearTimeout(e.retry);
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
