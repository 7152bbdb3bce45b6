// Throttles repeated failed logins per username and per client address (429 with Retry-After).

const WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILURES = 5;

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  /** Seconds to wait before another attempt for any of `keys`, or 0 when allowed. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const recent = this.#recent(key, now);
      if (recent.length >= MAX_FAILURES)
        wait = Math.max(wait, Math.ceil((recent[0] + WINDOW_MS - now) / 1000));
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) this.#failures.set(key, [...this.#recent(key, now), now]);
    if (this.#failures.size > 10_000) this.#prune(now);
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }

  #prune(now: number): void {
    for (const key of this.#failures.keys()) if (!this.#recent(key, now).length) this.#failures.delete(key);
  }
}
