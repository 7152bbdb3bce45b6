// The daemon's link to the sync server: ONE websocket shared by every document it opens, with
// reconnect backoff; each document is a HocuspocusProvider attached to that socket.
import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { SYNC_PATH } from '@openviber/shared';

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
  provider: HocuspocusProvider;
  /** Resolves after the first sync with the server (our view is then complete). */
  synced: Promise<void>;
}

export interface ConnectionEvents {
  onStatus?: (status: string) => void;
  /** The server refused the token (revoked Viber, say). */
  onAuthFailed?: (documentName: string, reason: string) => void;
}

/** http(s)://host:port → ws(s)://host:port/sync */
export const syncUrl = (server: string) => server.replace(/^http/, 'ws').replace(/\/$/, '') + SYNC_PATH;

export class Connection {
  readonly socket: HocuspocusProviderWebsocket;
  readonly #token: string;
  readonly #events: ConnectionEvents;
  readonly #docs = new Map<string, OpenDoc>();

  constructor(server: string, token: string, events: ConnectionEvents = {}) {
    this.#token = token;
    this.#events = events;
    this.socket = new HocuspocusProviderWebsocket({
      url: syncUrl(server),
      WebSocketPolyfill: QuietWebSocket,
      // Reconnect with exponential backoff and jitter, never giving up.
      delay: 500,
      factor: 2,
      minDelay: 250,
      maxDelay: 5_000,
      maxAttempts: 0,
      jitter: true,
      onStatus: ({ status }) => events.onStatus?.(status),
    });
  }

  /** Opens (or returns the already open) document `name`. */
  open(name: string): OpenDoc {
    const existing = this.#docs.get(name);
    if (existing) return existing;
    const doc = new Y.Doc();
    let resolveSynced!: () => void;
    const synced = new Promise<void>((r) => (resolveSynced = r));
    const provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name,
      document: doc,
      token: this.#token,
      onSynced: ({ state }) => {
        if (state) resolveSynced();
      },
      onAuthenticationFailed: ({ reason }) => this.#events.onAuthFailed?.(name, reason),
      // The server closed this document alone (the socket stays up), e.g. because it revoked our
      // credentials: authenticate again, so a refused token surfaces as onAuthenticationFailed now
      // rather than at the next socket reconnect.
      onClose: () => setTimeout(() => this.#reauthenticate(name, provider), 100),
    });
    provider.attach();
    const open = { name, doc, provider, synced };
    this.#docs.set(name, open);
    return open;
  }

  #reauthenticate(name: string, provider: HocuspocusProvider): void {
    if (this.#docs.get(name)?.provider !== provider || provider.isAuthenticated) return;
    if (this.socket.status !== WebSocketStatus.Connected) return; // the socket's reconnect re-authenticates
    void provider.sendToken().then(() => provider.startSync());
  }

  close(name: string): void {
    const open = this.#docs.get(name);
    if (!open) return;
    this.#docs.delete(name);
    open.provider.destroy();
  }

  /** True while some document has local changes the server has not acknowledged. */
  hasUnsyncedChanges(): boolean {
    return [...this.#docs.values()].some((d) => d.provider.hasUnsyncedChanges);
  }

  destroy(): void {
    for (const name of [...this.#docs.keys()]) this.close(name);
    this.socket.destroy();
  }
}
