// What any stranger can send must not print a stack trace each ([S17]): `ws` (through crossws and
// Hocuspocus's error hook) prints one for every oversized or malformed frame, and Hocuspocus for
// every message whose name or type it cannot decode. Neither offers a hook, so each new connection
// is wrapped where Hocuspocus takes it (`handleConnection`, its documented entry point for a
// websocket): the socket's 'error' events go to the refusal log instead of its listeners — `ws` has
// already closed the socket (1009, 1002, 1007) — and a message that does not start like a Hocuspocus
// message closes the socket with 1002 before Hocuspocus reads it.
import type { Connection, Hocuspocus } from '@hocuspocus/server';
import { applyAwarenessDirectly } from './awareness-guard.ts';
import type { RefusalLog } from './refusal-log.ts';
import { socketAddressOf } from './socket-id.ts';
import { CLOSE_SYNC_BUDGET, type SyncBudget } from './sync-budget.ts';
import type { SyncContext } from './create-sync.ts';

/** MessageType.Auth in the Hocuspocus protocol. */
const AUTH = 2;
/** Websocket close code for a protocol error. */
const PROTOCOL_ERROR = 1002;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** For bytes already checked to be ASCII (latin1 is the same there). */
const latin1 = new TextDecoder('latin1');

/** Reads what Hocuspocus reads before handing a message on; throws where lib0 would (or reads past the end). */
class Prefix {
  readonly data: Uint8Array;
  #pos = 0;
  /** Whether the string #stringEnd last passed over was ASCII. */
  #wasAscii = true;
  constructor(data: Uint8Array) {
    this.data = data;
  }
  get done(): boolean {
    return this.#pos >= this.data.length;
  }
  varUint(): number {
    let value = 0;
    for (let factor = 1; this.#pos < this.data.length; factor *= 128) {
      const byte = this.data[this.#pos++];
      value += (byte & 0x7f) * factor;
      if (byte < 0x80) return value;
      if (value > Number.MAX_SAFE_INTEGER) throw new RangeError('integer out of range');
    }
    throw new RangeError('unexpected end of message');
  }
  varString(): void {
    this.#pos = this.#stringEnd();
  }
  /** The string, when it is ASCII of at most `max` characters (a document name); else null. */
  asciiString(max: number): string | null {
    const end = this.#stringEnd();
    const start = this.#pos;
    this.#pos = end;
    if (!this.#wasAscii || end - start > max) return null;
    // One string, not one per character: this runs for every message a server takes (2% of what a
    // server allocated with 3,000 users, bench/ANALYSIS.md).
    return latin1.decode(this.data.subarray(start, end));
  }
  /** Reads the string's length (leaving the position at its first byte); returns where it ends. */
  #stringEnd(): number {
    const length = this.varUint();
    const end = this.#pos + length;
    if (end > this.data.length) throw new RangeError('unexpected end of message');
    // Names and tokens are ASCII: checked here without a decoder call; anything else is decoded.
    let ascii = true;
    for (let i = this.#pos; i < end && ascii; i++) ascii = this.data[i] < 0x80;
    if (!ascii) utf8.decode(this.data.subarray(this.#pos, end));
    this.#wasAscii = ascii;
    return end;
  }
}

/** Longer than any name of ours (`u/<uid>/viber/<vid>/run/<tid>`, ids ≤ 64 characters). */
const MAX_DOC_NAME_CHARS = 300;

/**
 * A name Hocuspocus must never see: one it would use as a key of a plain object (`__proto__`,
 * `constructor`: a stack trace per socket), or one with characters other than printable ASCII (a
 * newline echoed into the log forges lines). Any other unknown name is refused at authentication
 * for that document alone, as before: a newer app's new document kind does not lose its socket.
 */
function hostileName(name: string): boolean {
  return name in Object.prototype || !/^[\x21-\x7e]*$/.test(name);
}

/**
 * True when `data` starts with the name of a document of ours and a type, and an Auth message
 * carries its token. Any other name is refused here, before Hocuspocus uses it as a key and echoes
 * it into the log (a `__proto__` name printed a stack trace per socket; a 200 KB name with newlines
 * wrote forged log lines), for a stranger who never authenticates too.
 */
export function wellFormed(data: Uint8Array): boolean {
  try {
    const p = new Prefix(data);
    const address = p.asciiString(MAX_DOC_NAME_CHARS);
    // A session-aware provider addresses `name\0session`.
    if (address === null) return false;
    const session = address.indexOf('\0');
    if (hostileName(session < 0 ? address : address.slice(0, session))) return false;
    if (p.varUint() === AUTH) {
      p.varUint();
      p.varString();
      if (!p.done) p.varString(); // the provider's version
    }
    return true;
  } catch {
    return false;
  }
}

/** MessageType.Sync and its first step in the Hocuspocus protocol. */
const SYNC = 0;
const SYNC_STEP_1 = 0;

/** Whether a message (already found well formed) is a SyncStep1: what makes the server encode. */
export function isSyncStep1(data: Uint8Array): boolean {
  try {
    const p = new Prefix(data);
    p.varString();
    return p.varUint() === SYNC && p.varUint() === SYNC_STEP_1;
  } catch {
    return false;
  }
}

/**
 * The length of the Yjs update a message carries (a SyncStep2 or an Update), 0 for anything else:
 * what it can add to a document. An empty update (a peer with nothing to send) is 2 bytes.
 */
export function syncUpdateBytes(data: Uint8Array): number {
  try {
    const p = new Prefix(data);
    p.varString();
    if (p.varUint() !== SYNC || p.varUint() === SYNC_STEP_1) return 0;
    return p.varUint();
  } catch {
    return 0;
  }
}

type Emitter = { emit(event: string | symbol, ...args: unknown[]): boolean };

/** Sends `websocket`'s 'error' events to `onError` instead of its listeners. */
function routeErrors(websocket: unknown, onError: (error: unknown) => void): void {
  const ws = websocket as Partial<Emitter>;
  const emit = ws.emit;
  if (typeof emit !== 'function') return;
  ws.emit = function (this: unknown, event, ...args) {
    if (event !== 'error') return emit.call(this, event, ...args);
    onError(args[0]);
    return true;
  };
}

/** How long a refused socket has to take its close frame before it is cut. */
const REFUSED_LINGER_MS = 1_000;

/**
 * After a frame error `ws` has sent its close frame (1009, 1002, 1007) and then RESUMES the socket to
 * read and discard whatever the peer still sends until it answers: a stranger's 20 MB frame was read
 * in full, ten of them grew the server by ~100 MB. Stop reading instead (the rest stays in the
 * kernel's bounded buffer) and cut the socket once the close frame had time to leave.
 */
function stopReading(websocket: unknown): void {
  const socket = (websocket as { _socket?: import('node:net').Socket })._socket;
  if (!socket) return;
  // ws resumes on the next tick; pause after it.
  setImmediate(() => {
    socket.pause();
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  });
}

/** A getter on the socket's class that returns the socket it is read from. */
const UNPROXIED = Symbol('openviber.unproxied');
function itself(this: object): object {
  return this;
}

/**
 * The `ws` socket behind crossws's Proxy. crossws hands Hocuspocus each socket wrapped in a Proxy
 * (to answer `protocol`, `extensions` and `url` from the request when `ws` has none, which nothing
 * here reads), so every send went through its trap several times: Hocuspocus reads `readyState`
 * twice, and `ws.send` runs with the Proxy as `this`, so each of its own property reads is a trap
 * too: 5-9% of a broadcast loop over 1,000 sockets, writes included (bench/ANALYSIS.md). The trap
 * reads the socket's own properties with the socket as `this`, so a getter on the socket's class
 * (defined once, under a symbol of ours) returns the socket itself; if crossws ever passes its
 * receiver, the getter returns the Proxy and it is used as before. Not a getter on each socket: a
 * property added and deleted again left every socket's properties in V8's slow dictionary mode.
 */
export function unproxied<T extends object>(websocket: T): T {
  try {
    const proto: unknown = Object.getPrototypeOf(websocket);
    if (typeof proto !== 'object' || proto === null || proto === Object.prototype) return websocket;
    if (!Object.prototype.hasOwnProperty.call(proto, UNPROXIED))
      Object.defineProperty(proto, UNPROXIED, { get: itself, configurable: true });
    return (websocket as Record<symbol, T | undefined>)[UNPROXIED] ?? websocket;
  } catch {
    return websocket; // a frozen class
  }
}

/** Wraps every connection `hocuspocus` takes so that hostile frames end in one refusal-log line. */
export function guardConnections(hocuspocus: Hocuspocus, refusals: RefusalLog, syncs: SyncBudget): void {
  const handleConnection = hocuspocus.handleConnection.bind(hocuspocus);
  hocuspocus.handleConnection = (proxied, request, context) => {
    const websocket = unproxied(proxied);
    // Read only when something is refused (a header look-up per socket otherwise).
    const address = () => socketAddressOf(request.headers);
    routeErrors(websocket, (error) => {
      refusals.refused(address(), error instanceof Error ? error.message : String(error));
      stopReading(websocket);
    });
    const connection = handleConnection(websocket, request, context);
    const handleMessage = connection.handleMessage;
    connection.handleMessage = (data) => {
      if (wellFormed(data)) return handleMessage(data);
      refusals.refused(address(), 'malformed message');
      websocket.close(PROTOCOL_ERROR, 'malformed message');
    };
    wrapDocumentConnections(connection, (documentConnection, data) => {
      if (applyAwarenessDirectly(documentConnection, data)) return true;
      if (!isSyncStep1(data)) return false;
      // Charged as it is answered; the request that crosses the budget is the last one answered.
      const principal = (documentConnection.context as SyncContext).principal;
      if (principal)
        void syncs.charge(principal, documentConnection.document).then((within) => {
          if (within) return;
          refusals.refused(address(), `sync requests over budget for ${principal.userId}`);
          websocket.close(CLOSE_SYNC_BUDGET, 'too many sync requests; try again in a minute');
        });
      return false;
    });
    return connection;
  };
}

/**
 * Each document's Connection on the socket sees its messages through `take` first, the messages
 * queued while it authenticated included (Hocuspocus hands those to the Connection, not to the
 * socket's handler): awareness is applied directly (applyAwarenessDirectly), and a SyncStep1 is
 * charged to the sync budget. `take` returns true for a message it handled. If Hocuspocus changes
 * shape, its own path stays.
 */
function wrapDocumentConnections(
  client: unknown,
  take: (connection: Connection, data: Uint8Array) => boolean,
): void {
  const socket = client as { createConnection?: (...args: unknown[]) => Connection };
  const create = socket.createConnection;
  if (typeof create !== 'function') return;
  socket.createConnection = function (this: unknown, ...args: unknown[]) {
    const connection = create.apply(this, args);
    const handleMessage = connection.handleMessage.bind(connection);
    connection.handleMessage = (data: Uint8Array) => {
      if (!take(connection, data)) handleMessage(data);
    };
    return connection;
  };
}
