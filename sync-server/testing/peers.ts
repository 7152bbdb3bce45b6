// Test helpers: real websocket peers (HocuspocusProvider over `ws`), API calls, and waitFor.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { parseStoreAnswer, type StoreAnswer } from '@openviber/shared';

/** `ws` emits 'error' when closed while connecting; without a listener that is an uncaught error. */
export class QuietWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

/** Polls `check` until it returns a truthy value (returned) or the timeout passes (throws `what`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what = 'condition',
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the HTTP API; `body` may be a string to send raw bytes. */
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

let userCounter = 0;
/** Signs a new user up; returns the token and user id. */
export async function signup(baseUrl: string, username = `user${process.pid}x${++userCounter}`) {
  const res = await api(baseUrl, 'POST', '/api/auth/signup', {
    body: { username, password: 'correct horse battery' },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.token as string, userId: res.body.user.id as string, username };
}

export interface Peer {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  socket: HocuspocusProviderWebsocket;
  /** Resolves when the first sync finished. */
  synced: Promise<void>;
  /** The reason, once the server refused authentication. */
  authFailure: () => string | null;
  /** How many of this peer's updates the server refused (read-only) so far. */
  refusedUpdates: () => number;
  destroy(): void;
}

/** A real peer of one document over its own websocket. */
export function connectPeer(wsUrl: string, name: string, token: string, doc = new Y.Doc()): Peer {
  const socket = new HocuspocusProviderWebsocket({
    url: wsUrl,
    WebSocketPolyfill: QuietWebSocket,
    maxDelay: 500,
    minDelay: 50,
    delay: 50,
  });
  let failure: string | null = null;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token,
    onSynced: () => resolveSynced(),
    onAuthenticationFailed: ({ reason }) => {
      failure = reason;
    },
  });
  let refused = 0;
  // The server answers each update with a sync-status message (type 8): 1 applied, 0 refused.
  provider.on('message', ({ event }: { event: MessageEvent }) => {
    const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
    decoding.readVarString(decoder);
    if (decoding.readVarUint(decoder) === 8 && decoding.readVarInt(decoder) !== 1) refused++;
  });
  provider.attach();
  return {
    refusedUpdates: () => refused,
    doc,
    provider,
    socket,
    synced,
    authFailure: () => failure,
    destroy() {
      provider.destroy();
      socket.destroy();
    },
  };
}

/**
 * Asks the server "stored?" over `peer`'s document, as a Viber does ([V1]): `ask(docs)` resolves
 * with the documents it names unstored; `answers` holds every answer seen.
 */
export function storeQuestions(peer: Peer) {
  const answers: StoreAnswer[] = [];
  peer.provider.on('stateless', ({ payload }: { payload: string }) => {
    const answer = parseStoreAnswer(payload);
    if (answer) answers.push(answer);
  });
  let question = 0;
  const ask = async (docs: string[]) => {
    const id = ++question;
    peer.provider.sendStateless(JSON.stringify({ t: 'stored?', id, docs }));
    return (await waitFor(() => answers.find((a) => a.id === id), `the answer to ${id}`)).unstored;
  };
  return { ask, answers };
}
