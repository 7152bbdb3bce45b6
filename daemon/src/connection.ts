// The daemon's link to the sync server: ONE websocket shared by every document it opens, each
// document a HocuspocusProvider attached to it. Three things keep a Viber with a long history online:
// documents it owns are loaded from its disk before they sync ([V1]); at most MAX_ATTACHED_DOCUMENTS
// are attached at once, since on every (re)connect each attached document authenticates anew and
// the server closes a socket with more than `maxPendingDocuments` (100) waiting; and a socket the
// server closes before anything synced is retried with a growing, jittered delay ([V3]).
import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import {
  MAX_STORE_QUESTION_DOCS,
  SYNC_PATH,
  parseStoreAnswer,
  readLimitReason,
  stampDocument,
  type StoreQuestion,
} from '@openviber/shared';
import { clearPending, listPendingDocs, persistDoc, type PersistedDoc } from './local-doc-store.ts';
import { ViberError } from './viber-error.ts';

/** Documents attached to the socket at once; more wait their turn (Hocuspocus refuses > 100 pending). */
export const MAX_ATTACHED_DOCUMENTS = 80;
/** Reconnect delays: the first retry, and the cap the doubling stops at. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/**
 * How often, while connected, the Viber asks the server whether acknowledged changes are stored yet
 * (shared/src/store-status.ts); an unanswered question is asked again after STORE_ANSWER_MS.
 */
export const STORE_CHECK_MS = 1_000;
export const STORE_ANSWER_MS = 5_000;
/** Marked documents not open are re-sent at each connect, and this often while connected. */
export const RESEND_RETRY_MS = 60_000;
/** A document being closed or re-sent that the server has not acknowledged this long (connected) is let go. */
export const RESEND_GIVE_UP_MS = 60_000;

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
   * A server limit refused a document (`reason`, the limit's words): a change to it, or opening it
   * (retryAfterLimit). It is tried again in `retryMs`, the wait doubling while the limit refuses it.
   */
  onLimit?: (documentName: string, reason: string, retryMs: number) => void;
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
  /** Opened only to re-send a marked local copy, or closed while unacknowledged: closed once acknowledged. */
  resend: boolean;
  /** When `resend` was set (or the socket last connected since). */
  resendSince: number;
  /** Limit refusals in a row (none since the server last acknowledged our changes), and the retry after the last. */
  limitRefusals: number;
  limitRetry?: NodeJS.Timeout;
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
  /** Marked documents whose changes the server acknowledged, by name: their directory. Not yet known stored. */
  readonly #unconfirmed = new Map<string, string>();
  /** Local changes made to each marked document so far: an answer counts only if none came since the question. */
  readonly #generation = new Map<string, number>();
  /** Questions in flight, by id: when each was asked, and each document's generation then. */
  #questions = new Map<number, { at: number; asked: Map<string, number> }>();
  #questionId = 0;
  #lastResend = 0;
  readonly #tick: NodeJS.Timeout;
  /** This connect's re-send was started. */
  #resent = false;

  constructor(server: string, token: string, events: ConnectionEvents = {}) {
    this.#token = token;
    this.#events = events;
    this.#tick = setInterval(() => this.#onTick(), STORE_CHECK_MS);
    this.#tick.unref();
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
            const now = Date.now();
            for (const entry of this.#docs.values()) if (entry.resend) entry.resendSince = now;
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
    // Whatever was acknowledged but not known stored may die with the server: its marker stays, and
    // the document is re-sent at the reconnect (or synced again, if open).
    this.#unconfirmed.clear();
    this.#questions.clear();
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
      ? persistDoc(options.localDir, name, doc, {
          isRemote: (origin) => origin !== null && origin === entry.provider,
        })
      : undefined;
    let settle!: Entry['settle'];
    const synced = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    synced.catch(() => {}); // a caller that stopped waiting must not leave an unhandled rejection
    const entry: Entry = {
      name,
      doc,
      provider: null,
      synced,
      options,
      persisted,
      settle,
      resend: false,
      resendSince: 0,
      limitRefusals: 0,
    };
    if (persisted)
      doc.on('update', (_update: Uint8Array, origin: unknown) => {
        if (origin === null || origin !== entry.provider)
          this.#generation.set(name, (this.#generation.get(name) ?? 0) + 1);
      });
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
        // meanwhile) is let go until the next re-send; the token's own refusal shows on the
        // documents the Viber holds open.
        if (entry.resend) return this.#closeNow(name);
        this.#events.onAuthFailed?.(name, reason);
      },
      // The server closed this document alone (the socket stays up), e.g. because it revoked our
      // credentials: authenticate again, so a refused token surfaces as onAuthenticationFailed now
      // rather than at the next socket reconnect. Closed by a limit, the change that passed it is
      // sent again at the next sync, and refused again while the limit holds: then wait, longer
      // each time (as a refused connection does), instead of a refusal every 100 ms.
      onClose: ({ event }) => {
        const limit = readLimitReason(event?.reason);
        if (limit) this.retryAfterLimit(name, limit);
        else setTimeout(() => this.#reauthenticate(name, provider), 100);
      },
    });
    entry.provider = provider;
    // Synced with every change acknowledged: a limit that refused this document no longer does (a
    // change it refused stays unacknowledged until it is let in; an open it refused had none).
    const passed = () => {
      if (provider.isSynced && provider.unsyncedChanges === 0) entry.limitRefusals = 0;
    };
    provider.on('unsyncedChanges', passed);
    provider.on('synced', passed);
    const dir = entry.options.localDir;
    if (dir)
      provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        if (number > 0) return void this.#unconfirmed.delete(name);
        // Acknowledged (in the server's memory): asked about until the server says it is stored.
        if (entry.persisted?.pending) this.#unconfirmed.set(name, dir);
        // Not from inside the provider's own event: it is destroyed by the close.
        if (entry.resend)
          queueMicrotask(() => {
            if (entry.resend && this.#docs.get(name) === entry) this.close(name);
          });
      });
    provider.on('stateless', ({ payload }: { payload: string }) => this.#onAnswer(payload));
    for (const [field, value] of Object.entries(entry.options.awareness ?? {}))
      provider.setAwarenessField(field, value);
    provider.attach();
  }

  /**
   * A limit refused `name` (a change to it, or opening it): authenticate it again later, the wait
   * doubling (as a refused connection's) while the limit keeps refusing, reset once the server
   * acknowledges our changes.
   */
  retryAfterLimit(name: string, limit: string): void {
    const entry = this.#docs.get(name);
    const provider = entry?.provider;
    if (!entry || !provider) return;
    const retryMs = reconnectDelay(entry.limitRefusals++);
    this.#events.onLimit?.(name, limit, retryMs);
    clearTimeout(entry.limitRetry);
    entry.limitRetry = setTimeout(() => this.#reauthenticate(name, provider), retryMs);
    entry.limitRetry.unref();
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
    this.#lastResend = Date.now();
    for (const dir of this.#resendDirs)
      for (const name of listPendingDocs(dir)) {
        if (this.#docs.has(name) || this.#unconfirmed.has(name)) continue;
        const entry = this.open(name, { localDir: dir }) as Entry;
        entry.resend = true;
        entry.resendSince = Date.now();
      }
  }

  #onTick(): void {
    if (this.#destroyed || this.socket.status !== WebSocketStatus.Connected) return;
    const now = Date.now();
    // A refusal may not last (a task a crashed server lost comes back when a device re-sends it).
    if (this.#resendDirs.size && now - this.#lastResend >= RESEND_RETRY_MS) this.#resendAll();
    // One the server never acknowledges (refused on every update: a spent quota) must not hold an
    // attached slot for good: let go, its marker stays for the next re-send.
    for (const entry of [...this.#docs.values()])
      if (entry.resend && entry.provider && now - entry.resendSince >= RESEND_GIVE_UP_MS)
        this.#closeNow(entry.name);
    // One round of questions at a time; an unanswered one is asked again.
    for (const [id, question] of this.#questions)
      if (now - question.at >= STORE_ANSWER_MS) this.#questions.delete(id);
    if (this.#questions.size === 0) this.#ask(now);
  }

  /**
   * Asks the server which acknowledged documents are stored. An open document is asked about through
   * its own provider: the server handles a document's messages in order, so the question comes after
   * every update sent on it (through another document it could overtake updates still queued there).
   * A closed one goes through any document held open and synced (the daemon always holds its own);
   * with none, its marker waits for the next re-send.
   */
  #ask(now: number): void {
    if (this.#unconfirmed.size === 0) return;
    const any = [...this.#docs.values()].find((e) => !e.resend && e.provider?.isSynced)?.provider;
    const byProvider = new Map<HocuspocusProvider, string[]>();
    for (const name of this.#unconfirmed.keys()) {
      const own = this.#docs.get(name)?.provider;
      const via = own?.isSynced ? own : any;
      if (!via) continue;
      const names = byProvider.get(via) ?? [];
      if (names.length < MAX_STORE_QUESTION_DOCS) byProvider.set(via, [...names, name]);
    }
    for (const [via, docs] of byProvider) {
      const question: StoreQuestion = { t: 'stored?', id: ++this.#questionId, docs };
      this.#questions.set(question.id, {
        at: now,
        asked: new Map(docs.map((name) => [name, this.#generation.get(name) ?? 0])),
      });
      via.sendStateless(JSON.stringify(question));
    }
  }

  /** The server's answer: documents it did not name as unstored hold every change asked about. */
  #onAnswer(payload: string): void {
    const answer = parseStoreAnswer(payload);
    const question = answer && this.#questions.get(answer.id);
    if (!answer || !question) return;
    this.#questions.delete(answer.id);
    const unstored = new Set(answer.unstored);
    for (const [name, generation] of question.asked) {
      const dir = this.#unconfirmed.get(name);
      if (!dir || unstored.has(name)) continue;
      // Changed since the question: that change is not covered by this answer.
      if ((this.#generation.get(name) ?? 0) !== generation) continue;
      if (this.#docs.get(name)?.provider?.hasUnsyncedChanges) continue;
      clearPending(dir, name);
      this.#unconfirmed.delete(name);
      if (!this.#docs.has(name)) this.#generation.delete(name);
    }
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
    if (!waitForAck) return this.#closeNow(name);
    entry.resend = true;
    entry.resendSince = Date.now();
  }

  /**
   * Closes document `name` at once, even with a change the server has not acknowledged (the server
   * refused it): its marker stays, so the change is re-sent later.
   */
  drop(name: string): void {
    this.#closeNow(name);
  }

  #closeNow(name: string): void {
    const entry = this.#docs.get(name);
    if (!entry) return;
    this.#docs.delete(name);
    entry.settle.reject(new ViberError('closed', `${name} was closed before it synced`));
    const queued = this.#waiting.indexOf(entry);
    if (queued >= 0) this.#waiting.splice(queued, 1);
    const freed = entry.provider !== null;
    if (entry.provider) {
      entry.provider.destroy();
      this.#attached--;
    }
    entry.persisted?.detach();
    entry.doc.destroy();
    // Only a closed attached document frees a slot: a waiting one attaching the next would take one
    // nobody gave back (past MAX_ATTACHED_DOCUMENTS, the server refuses the socket at a reconnect).
    if (!freed || this.#destroyed) return;
    const next = this.#waiting.shift();
    if (next) this.#attach(next);
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
    clearInterval(this.#tick);
    this.#waiting.length = 0;
    for (const name of [...this.#docs.keys()]) this.close(name);
    this.socket.destroy();
  }
}
