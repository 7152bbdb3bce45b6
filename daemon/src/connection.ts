// The daemon's link to the sync server: ONE websocket shared by every document it opens, each
// document a HocuspocusProvider attached to it. Three things keep a Viber with a long history online:
// documents it owns are loaded from its disk before they sync ([V1]); at most MAX_ATTACHED_DOCUMENTS
// are attached at once, since on every (re)connect each attached document authenticates anew and
// the server closes a socket with more than `maxPendingDocuments` (100) waiting; and a socket the
// server closes before anything synced is retried with a growing, jittered delay ([V3]).
import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { MAX_STORE_DELAY_MS, SYNC_PATH, stampDocument } from '@openviber/shared';
import { clearPending, listPendingDocs, persistDoc, type PersistedDoc } from './local-doc-store.ts';
import { ViberError } from './viber-error.ts';

/** Documents attached to the socket at once; more wait their turn (Hocuspocus refuses > 100 pending). */
export const MAX_ATTACHED_DOCUMENTS = 80;
/** Reconnect delays: the first retry, and the cap the doubling stops at. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/**
 * A document's local changes count as stored once the server acknowledged them and the socket then
 * stayed up this long: the server stores within MAX_STORE_DELAY_MS of a change, and a server that
 * dies sooner closes the socket (its marker stays and the document is re-sent at the reconnect).
 */
export const STORED_AFTER_MS = MAX_STORE_DELAY_MS + 2_000;

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
  /** Opened only to re-send a marked local copy: closed once the server acknowledged it. */
  resend: boolean;
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
  /** Directories whose marked documents are re-sent at each connect (resendPending). */
  readonly #resendDirs = new Set<string>();
  /** Documents acknowledged with a marker still on disk: cleared when the timer fires (STORED_AFTER_MS). */
  readonly #storing = new Map<string, NodeJS.Timeout>();
  readonly #storedAfterMs: number;
  /** This connect's re-send was started. */
  #resent = false;

  /** `storedAfterMs`: STORED_AFTER_MS unless a test shortens it. */
  constructor(
    server: string,
    token: string,
    events: ConnectionEvents = {},
    { storedAfterMs = STORED_AFTER_MS }: { storedAfterMs?: number } = {},
  ) {
    this.#token = token;
    this.#events = events;
    this.#storedAfterMs = storedAfterMs;
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
        if (status === WebSocketStatus.Connected) {
          this.#healthy = false;
          // Once per connect (Hocuspocus reports it more than once), after the providers already
          // attached authenticated again on this socket.
          if (!this.#resent) {
            this.#resent = true;
            setTimeout(() => this.#resendAll(), 0);
          }
        }
        if (status === WebSocketStatus.Disconnected) this.#onDisconnected();
        events.onStatus?.(status);
      },
    });
  }

  /** The socket closed. One that closed before anything synced was refused: wait longer next time. */
  #onDisconnected(): void {
    this.#resent = false;
    // Whatever was acknowledged but not yet stored may die with the server: keep its markers.
    for (const timer of this.#storing.values()) clearTimeout(timer);
    this.#storing.clear();
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
    if (existing) {
      existing.resend = false; // wanted now: no longer closed once acknowledged
      return existing;
    }
    if (this.#destroyed) throw new ViberError('closed', 'the connection is closed');
    const doc = new Y.Doc();
    // `entry.provider` is read at each update: what the server sent is stored there already.
    const persisted = options.localDir
      ? persistDoc(options.localDir, name, doc, { isRemote: (origin) => origin === entry.provider })
      : undefined;
    let settle!: Entry['settle'];
    const synced = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    synced.catch(() => {}); // a caller that stopped waiting must not leave an unhandled rejection
    const entry: Entry = { name, doc, provider: null, synced, options, persisted, settle, resend: false };
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
      onAuthenticationFailed: ({ reason }) => {
        // A document being closed or re-sent that the server refuses (its task or binding deleted
        // meanwhile) is given up until the next connect; the token's own refusal shows on the
        // documents the Viber holds open.
        if (entry.resend) return this.#closeNow(name);
        this.#events.onAuthFailed?.(name, reason);
      },
      // The server closed this document alone (the socket stays up), e.g. because it revoked our
      // credentials: authenticate again, so a refused token surfaces as onAuthenticationFailed now
      // rather than at the next socket reconnect.
      onClose: () => setTimeout(() => this.#reauthenticate(name, provider), 100),
    });
    entry.provider = provider;
    const dir = entry.options.localDir;
    if (dir)
      provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        if (number > 0) return this.#stopStoring(name);
        if (!entry.persisted?.pending) return;
        this.#startStoring(name, dir);
        // Not from inside the provider's own event: it is destroyed by the close.
        if (entry.resend)
          queueMicrotask(() => {
            if (entry.resend && this.#docs.get(name) === entry) this.close(name);
          });
      });
    for (const [field, value] of Object.entries(entry.options.awareness ?? {}))
      provider.setAwarenessField(field, value);
    provider.attach();
  }

  #reauthenticate(name: string, provider: HocuspocusProvider): void {
    if (this.#docs.get(name)?.provider !== provider || provider.isAuthenticated) return;
    if (this.socket.status !== WebSocketStatus.Connected) return; // the socket's reconnect re-authenticates
    void provider.sendToken().then(() => provider.startSync());
  }

  /**
   * Re-sends, now and at every later connect, each document under `dir` holding a local change the
   * server may not have stored (local-doc-store.ts) that is not open: it is opened, synced, and
   * closed again once acknowledged. Call it once the Viber removed what deleted tasks left.
   */
  resendPending(dir: string): void {
    this.#resendDirs.add(dir);
    this.#resendAll();
  }

  #resendAll(): void {
    if (this.#destroyed || this.socket.status !== WebSocketStatus.Connected) return;
    for (const dir of this.#resendDirs)
      for (const name of listPendingDocs(dir)) {
        if (this.#docs.has(name) || this.#storing.has(name)) continue;
        (this.open(name, { localDir: dir }) as Entry).resend = true;
      }
  }

  /** The server acknowledged every local change of `name`: its marker goes if the socket stays up. */
  #startStoring(name: string, dir: string): void {
    if (this.#storing.has(name)) return;
    const timer = setTimeout(() => {
      this.#storing.delete(name);
      // Written again since (an open document's update stops this timer): the marker must stay.
      if (this.#docs.get(name)?.provider?.hasUnsyncedChanges) return;
      clearPending(dir, name);
    }, this.#storedAfterMs);
    timer.unref();
    this.#storing.set(name, timer);
  }

  #stopStoring(name: string): void {
    clearTimeout(this.#storing.get(name));
    this.#storing.delete(name);
  }

  /**
   * Closes document `name`. One holding a local change the server has not acknowledged stays
   * attached until it has (then closes), unless the socket is down: its marker has it re-sent.
   */
  close(name: string): void {
    const entry = this.#docs.get(name);
    if (!entry) return;
    const waitForAck =
      !this.#destroyed &&
      entry.persisted?.pending &&
      entry.provider?.hasUnsyncedChanges &&
      this.socket.status === WebSocketStatus.Connected;
    if (waitForAck) entry.resend = true;
    else this.#closeNow(name);
  }

  #closeNow(name: string): void {
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

  /** True while the socket is connected. */
  get socketConnected(): boolean {
    return this.socket.status === WebSocketStatus.Connected;
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
    for (const timer of this.#storing.values()) clearTimeout(timer);
    this.#storing.clear();
    this.#waiting.length = 0;
    for (const name of [...this.#docs.keys()]) this.close(name);
    this.socket.destroy();
  }
}
