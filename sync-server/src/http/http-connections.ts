// How many plain HTTP connections may be open at once ([S18]): per client address and in all. The
// header, request and body timeouts ([S13]) bound how long each lives, not how many there are, and
// each holds a file descriptor: enough idle connections would leave none for websockets, the
// database or the app's files. A connection counts from accept until it closes or becomes a
// websocket (upgrades are counted by unauthenticated-sockets.ts and user-sockets.ts from then on).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_HTTP_CONNECTIONS, MAX_HTTP_CONNECTIONS_PER_ADDRESS } from '../limits.ts';
import { normalizeAddress } from './client-address.ts';

export interface HttpConnectionLimits {
  perAddress?: number;
  overall?: number;
}

/** Why a connection is refused: 429 for one address's share, 503 when the server as a whole is full. */
export interface ConnectionRefusal {
  status: 429 | 503;
  message: string;
}

/** A connection over the limit is answered at once (its request is never read) and closed. */
const RETRY_AFTER_SECONDS = 5;

export class HttpConnections {
  readonly #perAddress = new Map<string, number>();
  readonly #counted = new Map<Socket, string>();
  readonly maxPerAddress: number;
  readonly max: number;

  constructor(limits: HttpConnectionLimits = {}) {
    this.maxPerAddress = limits.perAddress ?? MAX_HTTP_CONNECTIONS_PER_ADDRESS;
    this.max = limits.overall ?? MAX_HTTP_CONNECTIONS;
  }

  /** Called on 'connection': counts the socket until it closes or upgrades, or says why not. */
  admit(socket: Socket): ConnectionRefusal | null {
    // The socket's peer: no header has arrived yet, so a proxy's clients share its count ([S19]).
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if ((this.#perAddress.get(address) ?? 0) >= this.maxPerAddress)
      return {
        status: 429,
        message: `too many connections from this address: at most ${this.maxPerAddress} at once`,
      };
    if (this.#counted.size >= this.max)
      return { status: 503, message: `server busy: too many connections: at most ${this.max} at once` };
    this.#counted.set(socket, address);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.release(socket));
    return null;
  }

  /** The socket stops counting (it closed, or it is a websocket now); a second call does nothing. */
  release(socket: Socket): void {
    const address = this.#counted.get(socket);
    if (address === undefined) return;
    this.#counted.delete(socket);
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }
}

/** Answers a refused connection with its status and reason, then closes it. */
export function refuseConnection(socket: Socket, refusal: ConnectionRefusal): void {
  const body = `${refusal.message}\n`;
  socket.on('error', () => {}); // the client may already be gone; nothing to tell it then
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Retry-After: ${RETRY_AFTER_SECONDS}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
