// One claim per key across every server process: what makes an API check-then-write ("the message
// id is new in this task", "this environment is not bound to that Viber yet") hold when two requests
// race on two processes. Each process checks its own copy of the document, and a write on one reaches
// the other's copy through Redis a moment later: both could pass the check. The claim is a
// rate-limiter-flexible counter with one point (in Redis when the server runs on several processes,
// else in memory; the login throttle's store and its in-memory fallback while Redis is away): the
// first request takes it, a racing one is refused as the document check would refuse it.
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { memoryLimiters, type LimiterFactory } from '../auth/login-throttle.ts';

/**
 * How long a claim outlives its request at most (a process that died holding it): far longer than
 * a write takes to reach the other processes, after which their document check sees it.
 */
export const CLAIM_SECONDS = 30;
/** After a successful write the claim is let go this much later: the write has reached every process. */
export const CLAIM_RELEASE_AFTER_MS = 2_000;

export class Claims {
  readonly #limiter: RateLimiterAbstract;

  constructor(limiters: LimiterFactory = memoryLimiters) {
    this.#limiter = limiters({ keyPrefix: 'claim', points: 1, duration: CLAIM_SECONDS });
  }

  /**
   * Runs `work` holding `key`, or returns `taken` without running it while another request (on any
   * process) holds it. A failed `work` lets the key go at once (a retry may take it); a successful
   * one after CLAIM_RELEASE_AFTER_MS, by when its write is what every process's check reads.
   */
  async hold<T>(key: string, work: () => Promise<T>): Promise<T | typeof taken> {
    try {
      await this.#limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return taken;
      throw rejection;
    }
    const release = () => void this.#limiter.delete(key).catch(() => {}); // expires anyway
    try {
      const result = await work();
      setTimeout(release, CLAIM_RELEASE_AFTER_MS).unref();
      return result;
    } catch (error) {
      release();
      throw error;
    }
  }
}

export const taken: unique symbol = Symbol('taken');
