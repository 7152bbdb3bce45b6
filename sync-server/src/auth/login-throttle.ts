// Login and signup throttles on rate-limiter-flexible: in memory for one process, in Redis (shared by
// every process) when REDIS_URL is set. A login attempt spends its points BEFORE the slow password
// check, so concurrent guesses cannot all slip past a check that records failures afterwards; a
// success gives back only the points that attempt spent, never anyone else's. Whether the name
// exists plays no part ([S14]): every name has its own budget and the address's budget counts
// failures at any name, so no answer tells a name that exists from one that does not. Guesses at
// names that do not exist spend only their own names' budgets and the address's, never a real
// user's.
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HttpError } from '../http/http-error.ts';
import {
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_FAILURES_PER_USER,
  LOGIN_WINDOW_SECONDS,
  SIGNUPS_PER_ADDRESS,
  SIGNUP_WINDOW_SECONDS,
} from '../limits.ts';

export interface LimiterSpec {
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
}
/** Builds one named limiter; memory by default, Redis-backed for several processes. */
export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;
export const memoryLimiters: LimiterFactory = (spec) => new RateLimiterMemory(spec);

/** User names are unique and throttled case-insensitively (they are ASCII: see credentialsSchema). */
export const foldUsername = (username: string) => username.toLowerCase();

const tooMany = (what: string, res: RateLimiterRes) => {
  const wait = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new HttpError('rateLimited', `too many ${what}; try again in ${wait} s`, {
    headers: { 'retry-after': String(wait) },
  });
};

/** Spends one point of `key`, or throws the limiter's rejection (a RateLimiterRes) or a store error. */
async function spend(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw tooMany(what, rejection);
    throw rejection;
  }
}

export interface ThrottleOptions {
  /** Where the counters live (default: this process's memory). */
  limiters?: LimiterFactory;
  signupsPerHour?: number;
  failuresPerAddress?: number;
}

export class LoginThrottle {
  readonly #perUser: RateLimiterAbstract;
  readonly #perAddress: RateLimiterAbstract;
  readonly #signups: RateLimiterAbstract;

  constructor(options: ThrottleOptions = {}) {
    const limiters = options.limiters ?? memoryLimiters;
    const login = (keyPrefix: string, points: number) =>
      limiters({ keyPrefix, points, duration: LOGIN_WINDOW_SECONDS });
    this.#perUser = login('login-user', LOGIN_FAILURES_PER_USER);
    this.#perAddress = login('login-addr', options.failuresPerAddress ?? LOGIN_FAILURES_PER_ADDRESS);
    this.#signups = limiters({
      keyPrefix: 'signup-addr',
      points: options.signupsPerHour ?? SIGNUPS_PER_ADDRESS,
      duration: SIGNUP_WINDOW_SECONDS,
    });
  }

  /**
   * Admits one login attempt at `username` from `address` (429 when a budget is spent) and returns
   * what to call if it succeeds. Called the same way whether or not the name exists.
   */
  async begin(
    username: string,
    address: string,
  ): Promise<{ succeeded(): Promise<void>; notChecked(): Promise<void> }> {
    const userKey = foldUsername(username);
    // The address first: once its budget is spent, guesses at ever new names are refused before a
    // record per name is made (each a key held for the window, in memory or in Redis).
    await spend(this.#perAddress, address, 'failed logins from this address');
    try {
      await spend(this.#perUser, userKey, 'failed logins for this user name');
    } catch (error) {
      await this.#perAddress.reward(address, 1);
      throw error;
    }
    const giveBack = async () => {
      await Promise.all([this.#perUser.reward(userKey, 1), this.#perAddress.reward(address, 1)]);
    };
    // A success, or an attempt whose password was never checked (the server too busy): no guess made.
    return { succeeded: giveBack, notChecked: giveBack };
  }

  /**
   * Admits one signup from `address` (429 past SIGNUPS_PER_ADDRESS per window); `notChecked` gives
   * its point back when the server was too busy to hash the password (nothing was created).
   */
  async signup(address: string): Promise<{ notChecked(): Promise<void> }> {
    await spend(this.#signups, address, 'signups from this address');
    return { notChecked: async () => void (await this.#signups.reward(address, 1)) };
  }
}
