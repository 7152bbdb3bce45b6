// Websockets that have not authenticated a document yet ([S11], [S15]). Each must authenticate
// within AUTH_DEADLINE_MS or it is closed, and only so many may wait at once: per client address and
// in all. Before login a socket may hold about 2 MiB (its pre-auth queue, MAX_PREAUTH_QUEUE_BYTES,
// and one frame of MAX_WS_PAYLOAD_BYTES being received), so their number bounds that memory.
//
// Hocuspocus's own `timeout` is also the idle timeout of authenticated sockets (which may be quiet
// for 15 s between awareness renewals), so it cannot be made short enough for strangers: this
// deadline is separate.
import type { Duplex } from 'node:stream';
import type { SocketRefusal } from '../http/refuse-socket.ts';
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

/** How often waiting sockets are checked against their deadline (one timer, not one per socket). */
const SWEEP_MS = 1_000;

export class UnauthenticatedSockets {
  // In admission order, so in deadline order: a sweep stops at the first that has time left.
  readonly #waiting = new Map<string, { deadline: number; address: string; socket: Duplex }>();
  readonly #perAddress = new Map<string, number>();
  readonly #deadlineMs: number;
  readonly #maxPerAddress: number;
  readonly #max: number;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(limits: WaitingLimits = {}) {
    this.#deadlineMs = limits.deadlineMs ?? AUTH_DEADLINE_MS;
    this.#maxPerAddress = limits.perAddress ?? MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS;
    this.#max = limits.overall ?? MAX_UNAUTHENTICATED_SOCKETS;
  }

  /** Seconds after which a refused client may find room: every waiting socket is gone by then. */
  get retryAfterSeconds(): number {
    return Math.ceil((this.#deadlineMs + this.#sweepMs) / 1000);
  }

  get #sweepMs(): number {
    return Math.min(SWEEP_MS, Math.max(10, this.#deadlineMs / 10));
  }

  /** Called on upgrade: admits socket `id` from `address` and starts its clock, or says why not. */
  admit(id: string, address: string, socket: Duplex): SocketRefusal | null {
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
    this.#waiting.set(id, { deadline: Date.now() + this.#deadlineMs, address, socket });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.#release(id));
    if (!this.#sweeper) {
      this.#sweeper = setInterval(() => this.#sweep(), this.#sweepMs);
      this.#sweeper.unref();
    }
    return null;
  }

  /** Called when a document on socket `id` authenticated: the socket may stay, and no longer waits. */
  authenticated(id: string): void {
    this.#release(id);
  }

  /** Closes the sockets past their deadline (at most one sweep late). */
  #sweep(): void {
    const now = Date.now();
    for (const [id, waiting] of this.#waiting) {
      if (waiting.deadline > now) break;
      this.#release(id);
      waiting.socket.destroy();
    }
    if (!this.#waiting.size) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #release(id: string): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    const left = (this.#perAddress.get(waiting.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(waiting.address, left);
    else this.#perAddress.delete(waiting.address);
  }
}
