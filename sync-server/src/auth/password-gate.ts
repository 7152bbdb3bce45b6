// [S14a] A password check (Argon2id: 19 MiB and ~20 ms of a core, on libuv's threadpool) is the most
// a stranger can make the server spend with one request, and a correct password is not throttled.
// Checks run PASSWORD_CHECKS_AT_ONCE at a time (p-limit), at most MAX_PASSWORD_CHECKS_WAITING wait,
// and one client address has at most MAX_PASSWORD_CHECKS_PER_ADDRESS running or waiting: past
// either, the request is answered 503 with Retry-After at once, before any hashing. So a flood of
// logins, signups or password checks holds at most one core here (the sync and the API keep the
// other) and a fixed memory, and one address cannot fill the queue for everyone.
import pLimit, { type LimitFunction } from 'p-limit';
import { HttpError } from '../http/http-error.ts';
import {
  MAX_PASSWORD_CHECKS_PER_ADDRESS,
  MAX_PASSWORD_CHECKS_WAITING,
  PASSWORD_CHECKS_AT_ONCE,
} from '../limits.ts';

export interface PasswordGateLimits {
  atOnce: number;
  waiting: number;
  perAddress: number;
}

const busy = (message: string) =>
  new HttpError('unavailable', `${message}; try again in 1 s`, { headers: { 'retry-after': '1' } });

export class PasswordGate {
  readonly #limit: LimitFunction;
  readonly #limits: PasswordGateLimits;
  /** Checks running or waiting, by client address. */
  readonly #byAddress = new Map<string, number>();

  constructor(limits: Partial<PasswordGateLimits> = {}) {
    this.#limits = {
      atOnce: limits.atOnce ?? PASSWORD_CHECKS_AT_ONCE,
      waiting: limits.waiting ?? MAX_PASSWORD_CHECKS_WAITING,
      perAddress: limits.perAddress ?? MAX_PASSWORD_CHECKS_PER_ADDRESS,
    };
    this.#limit = pLimit(this.#limits.atOnce);
  }

  /** Runs `check` (a password hash) in its turn, or throws 503 when the address or the queue is full. */
  async run<T>(address: string, check: () => Promise<T>): Promise<T> {
    const mine = this.#byAddress.get(address) ?? 0;
    if (mine >= this.#limits.perAddress)
      throw busy(`too many password checks from this address at once (at most ${this.#limits.perAddress})`);
    if (this.#limit.pendingCount >= this.#limits.waiting) throw busy('the server is busy checking passwords');
    this.#byAddress.set(address, mine + 1);
    try {
      return await this.#limit(check);
    } finally {
      const left = (this.#byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#byAddress.set(address, left);
      else this.#byAddress.delete(address);
    }
  }

  /** Checks running and waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.#limit.activeCount, waiting: this.#limit.pendingCount };
  }
}
