// Websockets that have not authenticated a document yet ([S11], [S15]). Each must authenticate
// within AUTH_DEADLINE_MS or it is closed, and only so many may wait at once: per client address and
// in all. Before login a socket may hold about 2 MiB (its pre-auth queue, MAX_PREAUTH_QUEUE_BYTES,
// and one frame of MAX_WS_PAYLOAD_BYTES being received), so their number bounds that memory.
//
// Hocuspocus's own `timeout` is also the idle timeout of authenticated sockets (which may be quiet
// for 15 s between awareness renewals), so it cannot be made short enough for strangers: this
// deadline is separate.
import type { Duplex } from 'node:stream';
import {
  AUTH_DEADLINE_MS,
  MAX_UNAUTHENTICATED_SOCKETS,
  MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
} from '../limits.ts';

export interface WaitingLimits {
  deadlineMs?: number;
  perAddress?: number;
  overall?: number;
}

/** Why an upgrade is refused: 429 for one address's share, 503 when the server as a whole is full. */
export interface UpgradeRefusal {
  status: 429 | 503;
  message: string;
}

export class UnauthenticatedSockets {
  readonly #waiting = new Map<string, { timer: NodeJS.Timeout; address: string }>();
  readonly #perAddress = new Map<string, number>();
  readonly #deadlineMs: number;
  readonly #maxPerAddress: number;
  readonly #max: number;

  constructor(limits: WaitingLimits = {}) {
    this.#deadlineMs = limits.deadlineMs ?? AUTH_DEADLINE_MS;
    this.#maxPerAddress = limits.perAddress ?? MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS;
    this.#max = limits.overall ?? MAX_UNAUTHENTICATED_SOCKETS;
  }

  /** Seconds after which a refused client may find room: every waiting socket is gone by then. */
  get retryAfterSeconds(): number {
    return Math.ceil(this.#deadlineMs / 1000);
  }

  /** Called on upgrade: admits socket `id` from `address` and starts its clock, or says why not. */
  admit(id: string, address: string, socket: Duplex): UpgradeRefusal | null {
    if (socket.destroyed) return null;
    if ((this.#perAddress.get(address) ?? 0) >= this.#maxPerAddress)
      return {
        status: 429,
        message: `too many unauthenticated websockets from this address: at most ${this.#maxPerAddress}`,
      };
    if (this.#waiting.size >= this.#max)
      return {
        status: 503,
        message: `server busy: too many unauthenticated websockets: at most ${this.#max}`,
      };
    const timer = setTimeout(() => {
      this.#release(id);
      socket.destroy();
    }, this.#deadlineMs);
    timer.unref();
    this.#waiting.set(id, { timer, address });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.#release(id));
    return null;
  }

  /** Called when a document on socket `id` authenticated: the socket may stay, and no longer waits. */
  authenticated(id: string): void {
    this.#release(id);
  }

  #release(id: string): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.#waiting.delete(id);
    const left = (this.#perAddress.get(waiting.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(waiting.address, left);
    else this.#perAddress.delete(waiting.address);
  }
}
