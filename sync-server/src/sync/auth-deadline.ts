// Closes websockets that do not authenticate a document within AUTH_DEADLINE_MS. Hocuspocus's own
// `timeout` is also the idle timeout of authenticated sockets (which may be quiet for 15 s between
// awareness renewals), so it cannot be made short enough for strangers; this deadline is separate.
//
// The upgrade request is the only place that sees the raw socket, and onAuthenticate only sees the
// request's headers, so the upgrade tags the request with a header naming its socket (overwriting
// any value a client sent).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AUTH_DEADLINE_MS } from '../limits.ts';

const SOCKET_HEADER = 'x-openviber-socket';

export class AuthDeadline {
  readonly #pending = new Map<string, NodeJS.Timeout>();
  #next = 0;
  readonly #ms: number;

  constructor(ms = AUTH_DEADLINE_MS) {
    this.#ms = ms;
  }

  /** Called on upgrade: starts the clock for this socket. */
  start(request: IncomingMessage, socket: Duplex): void {
    const id = String(++this.#next);
    request.headers[SOCKET_HEADER] = id;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      socket.destroy();
    }, this.#ms);
    timer.unref();
    this.#pending.set(id, timer);
    socket.once('close', () => this.#clear(id));
  }

  /** Called when a document on the socket authenticated: the socket may stay. */
  authenticated(headers: Headers): void {
    const id = headers.get(SOCKET_HEADER);
    if (id) this.#clear(id);
  }

  #clear(id: string): void {
    clearTimeout(this.#pending.get(id));
    this.#pending.delete(id);
  }
}
