// Refused and broken websockets, logged so that a stranger cannot fill the log ([S17]): one line
// without a stack per refusal, at most one line per address per REFUSAL_LOG_WINDOW_MS — the first
// refusal at once, then one line per window counting the rest — and at most
// REFUSAL_LOG_MAX_ADDRESSES addresses apart per window (further ones share one line).
import { REFUSAL_LOG_MAX_ADDRESSES, REFUSAL_LOG_WINDOW_MS } from '../limits.ts';

const OTHERS = 'other addresses';

interface Window {
  since: number;
  /** Refusals in this window after the one that was logged. */
  more: number;
  last: string;
}

export class RefusalLog {
  readonly #windows = new Map<string, Window>();
  readonly #log: (line: string) => void;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #timer: NodeJS.Timeout;

  constructor(
    log: (line: string) => void,
    windowMs = REFUSAL_LOG_WINDOW_MS,
    maxAddresses = REFUSAL_LOG_MAX_ADDRESSES,
  ) {
    this.#log = log;
    this.#windowMs = windowMs;
    this.#maxAddresses = maxAddresses;
    this.#timer = setInterval(() => this.#sweep(), windowMs);
    this.#timer.unref();
  }

  /** Records one refusal of a websocket from `address`, and logs it unless its window already did. */
  refused(address: string, reason: string): void {
    const key = this.#windows.has(address) || this.#windows.size < this.#maxAddresses ? address : OTHERS;
    const window = this.#windows.get(key);
    if (window) {
      window.more++;
      window.last = reason;
      return;
    }
    this.#windows.set(key, { since: Date.now(), more: 0, last: reason });
    this.#log(`websocket from ${key} refused: ${reason}`);
  }

  /** Stops the timer (the server is closing). */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Ends the windows that are over: one line with the count of what they did not log. */
  #sweep(): void {
    const now = Date.now();
    for (const [key, window] of this.#windows) {
      if (now - window.since < this.#windowMs) continue;
      if (window.more === 0) {
        this.#windows.delete(key);
        continue;
      }
      const seconds = Math.round((now - window.since) / 1000);
      this.#log(`websocket from ${key}: ${window.more} more refused in ${seconds} s (last: ${window.last})`);
      // The next window starts now and is already logged: a steady flood gets one line per window.
      this.#windows.set(key, { since: now, more: 0, last: window.last });
    }
  }
}
