// The daemon's link to the sync server: ONE websocket shared by every document it opens, each
// document a HocuspocusProvider attached to it. Three things keep a Viber with a long history online:
// documents it owns are loaded from its disk before they sync ([V1]); at most MAX_ATTACHED_DOCUMENTS
// are attached at once, since on every (re)connect each attached document authenticates anew and
// the server closes a socket with more than `maxPendingDocuments` (100) waiting; and a socket the
// server closes before anything synced is retried with a growing, jittered delay ([V3]).
import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { SYNC_PATH, stampDocument } from '@openviber/shared';
import { persistDoc, type PersistedDoc } from './local-doc-store.ts';
import { ViberError } from './viber-error.ts';

/** Documents attached to the socket at once; more wait their turn (Hocuspocus refuses > 100 pending). */
export const MAX_ATTACHED_DOCUMENTS = 80;
/** Reconnect delays: the first retry, and the cap the doubling stops at. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

/**
 * `ws` emits 'error' when a socket is closed while still connecting (as Hocuspocus does on stop or
 * reconnect), and an 'error' with no listener crashes the process. Hocuspocus's own listeners still
 * see every error; this one only keeps it from being unhandled.
 */
class QuietWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

export interface OpenDoc {
  name: string;
  doc: Y.Doc;
  /** Set once the document is attached (it may wait for a free slot). */
  provider: HocuspocusProvider | null;
  /** Resolves after the first sync with the server; rejects if the document is closed first. */
  synced: Promise<void>;
}

export interface OpenOptions {
  /** Keep the document on this Viber's disk under `dir` (only documents the Viber writes). */
  localDir?: string;
  /** Awareness fields to set once attached. */
  awareness?: Record<string, unknown>;
}

export interface ConnectionEvents {
  onStatus?: (status: string) => void;
  /** The server refused the token (revoked Viber, say). */
  onAuthFailed?: (documentName: string, reason: string) => void;
  /**
   * Documents this Viber writes (its own document `own` and those below it) get its schema stamp
   * after each sync ([S12]): never before, so an empty copy cannot race a newer peer's stamp.
   */
  stamp?: { own: string; writer: string };
}

/** http(s)://host:port → ws(s)://host:port/sync */
export const syncUrl = (server: string) => server.replace(/^http/, 'ws').replace(/\/$/, '') + SYNC_PATH;

interface Entry extends OpenDoc {
  options: OpenOptions;
  persisted?: PersistedDoc;
  settle: { resolve: () => void; reject: (e: Error) => void };
}

/** The next reconnect delay after `failures` refused connections: doubling, capped, with jitter. */
export function reconnectDelay(failures: number, random = Math.random): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(failures, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class Connection {
  readonly socket: HocuspocusProviderWebsocket;
  readonly #token: string;
  readonly #events: ConnectionEvents;
  readonly #docs = new Map<string, Entry>();
  readonly #waiting: Entry[] = [];
  #attached = 0;
  /** Connections in a row that closed before any document synced. */
  #failures = 0;
  #healthy = false;
  #destroyed = false;

  constructor(server: string, token: string, events: ConnectionEvents = {}) {
    this.#token = token;
    this.#events = events;
    this.socket = new HocuspocusProviderWebsocket({
      url: syncUrl(server),
      WebSocketPolyfill: QuietWebSocket,
      // While the server is unreachable: exponential backoff with jitter, never giving up.
      delay: RECONNECT_BASE_MS,
      factor: 2,
      minDelay: RECONNECT_BASE_MS,
      maxDelay: RECONNECT_MAX_MS,
      maxAttempts: 0,
      jitter: true,
      onStatus: ({ status }) => {
        if (status === WebSocketStatus.Connected) this.#healthy = false;
        if (status === WebSocketStatus.Disconnected) this.#onDisconnected();
        events.onStatus?.(status);
      },
    });
  }

  /** The socket closed. One that closed before anything synced was refused: wait longer next time. */
  #onDisconnected(): void {
    this.#failures = this.#healthy ? 0 : this.#failures + 1;
    this.#healthy = false;
    // Hocuspocus waits `delay` before reconnecting after a close, and starts its retries from it.
    this.socket.setConfiguration({
      delay: this.#failures ? reconnectDelay(this.#failures) : RECONNECT_BASE_MS,
    });
  }

  /** The delay before the next reconnect (for logs and tests). */
  get reconnectDelayMs(): number {
    return this.socket.configuration.delay;
  }

  /** Opens (or returns the already open) document `name`. A local copy is loaded first. */
  open(name: string, options: OpenOptions = {}): OpenDoc {
    const existing = this.#docs.get(name);
    if (existing) return existing;
    if (this.#destroyed) throw new ViberError('closed', 'the connection is closed');
    const doc = new Y.Doc();
    const persisted = options.localDir ? persistDoc(options.localDir, name, doc) : undefined;
    let settle!: Entry['settle'];
    const synced = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    synced.catch(() => {}); // a caller that stopped waiting must not leave an unhandled rejection
    const entry: Entry = { name, doc, provider: null, synced, options, persisted, settle };
    this.#docs.set(name, entry);
    if (this.#attached < MAX_ATTACHED_DOCUMENTS) this.#attach(entry);
    else this.#waiting.push(entry);
    return entry;
  }

  #attach(entry: Entry): void {
    this.#attached++;
    const { name } = entry;
    const provider: HocuspocusProvider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name,
      document: entry.doc,
      token: this.#token,
      onSynced: ({ state }) => {
        if (!state) return;
        this.#healthy = true;
        this.#failures = 0;
        const stamp = this.#events.stamp;
        if (stamp && (name === stamp.own || name.startsWith(`${stamp.own}/`)))
          stampDocument(entry.doc, stamp.writer);
        entry.settle.resolve();
      },
      onAuthenticationFailed: ({ reason }) => this.#events.onAuthFailed?.(name, reason),
      // The server closed this document alone (the socket stays up), e.g. because it revoked our
      // credentials: authenticate again, so a refused token surfaces as onAuthenticationFailed now
      // rather than at the next socket reconnect.
      onClose: () => setTimeout(() => this.#reauthenticate(name, provider), 100),
    });
    entry.provider = provider;
    for (const [field, value] of Object.entries(entry.options.awareness ?? {}))
      provider.setAwarenessField(field, value);
    provider.attach();
  }

  #reauthenticate(name: string, provider: HocuspocusProvider): void {
    if (this.#docs.get(name)?.provider !== provider || provider.isAuthenticated) return;
    if (this.socket.status !== WebSocketStatus.Connected) return; // the socket's reconnect re-authenticates
    void provider.sendToken().then(() => provider.startSync());
  }

  close(name: string): void {
    const entry = this.#docs.get(name);
    if (!entry) return;
    this.#docs.delete(name);
    entry.settle.reject(new ViberError('closed', `${name} was closed before it synced`));
    const queued = this.#waiting.indexOf(entry);
    if (queued >= 0) this.#waiting.splice(queued, 1);
    if (entry.provider) {
      entry.provider.destroy();
      this.#attached--;
    }
    entry.persisted?.detach();
    entry.doc.destroy();
    const next = this.#waiting.shift();
    if (next && !this.#destroyed) this.#attach(next);
  }

  /** How many documents are open (attached or waiting). */
  get size(): number {
    return this.#docs.size;
  }

  /** True while document `name` is open with local changes the server has not acknowledged. */
  isUnsynced(name: string): boolean {
    return !!this.#docs.get(name)?.provider?.hasUnsyncedChanges;
  }

  /** True while some document has local changes the server has not acknowledged. */
  hasUnsyncedChanges(): boolean {
    return [...this.#docs.values()].some((d) => d.provider?.hasUnsyncedChanges);
  }

  /** Resolves once the server acknowledged every local change, or after `timeoutMs`. */
  flushed(timeoutMs: number): Promise<void> {
    // Offline, nothing will be acknowledged: what matters is already on this Viber's disk.
    if (!this.hasUnsyncedChanges() || this.socket.status !== WebSocketStatus.Connected)
      return Promise.resolve();
    const providers = [...this.#docs.values()].flatMap((d) => (d.provider ? [d.provider] : []));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const p of providers) p.off('unsyncedChanges', check);
        resolve();
      };
      const check = () => {
        if (!this.hasUnsyncedChanges()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const p of providers) p.on('unsyncedChanges', check);
    });
  }

  destroy(): void {
    this.#destroyed = true;
    this.#waiting.length = 0;
    for (const name of [...this.#docs.keys()]) this.close(name);
    this.socket.destroy();
  }
}
