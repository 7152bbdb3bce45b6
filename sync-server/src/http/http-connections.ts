// How many plain HTTP connections may be open at once ([S18]): per client address and in all. The
// header, request and body timeouts ([S13]) bound how long each lives, not how many there are, and
// each holds a file descriptor: enough idle connections would leave none for websockets, the
// database or the app's files. A connection counts from accept until it closes or becomes a
// websocket (upgrades are counted by unauthenticated-sockets.ts and user-sockets.ts from then on).
import type { Socket } from 'node:net';
import { MAX_HTTP_CONNECTIONS, MAX_HTTP_CONNECTIONS_PER_ADDRESS } from '../limits.ts';
import { limitKey, normalizeAddress } from './client-address.ts';
import type { SocketRefusal } from './refuse-socket.ts';

export interface HttpConnectionLimits {
  perAddress?: number;
  overall?: number;
}

/** Seconds a refused client is told to wait: idle connections close within the header timeout. */
export const HTTP_RETRY_AFTER_SECONDS = 5;

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
  admit(socket: Socket): SocketRefusal | null {
    // The socket's peer: no header has arrived yet, so a proxy's clients share its count ([S19]).
    const address = limitKey(normalizeAddress(socket.remoteAddress ?? ''));
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
