// What a stranger's guesses cost the throttle itself: a record per key, held for the window.
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURES_PER_USER } from '../limits.ts';
import { LoginThrottle, type LimiterSpec } from './login-throttle.ts';

/** Memory limiters that also note which keys each was asked to spend. */
function countingLimiters() {
  const keys = new Map<string, Set<string>>();
  const factory = (spec: LimiterSpec) => {
    const limiter = new RateLimiterMemory(spec);
    const seen = new Set<string>();
    keys.set(spec.keyPrefix, seen);
    const consume = limiter.consume.bind(limiter);
    limiter.consume = (key, points) => (seen.add(String(key)), consume(key, points));
    return limiter;
  };
  return { factory, keys };
}

describe('login throttle records', () => {
  it('once an address has spent its budget, guesses at 1,000 new names make no record per name', async () => {
    const { factory, keys } = countingLimiters();
    const throttle = new LoginThrottle({ limiters: factory, failuresPerAddress: 3 });
    for (let i = 0; i < 3; i++) await throttle.begin(`name${i}`, '203.0.113.9');
    const refused: unknown[] = [];
    for (let i = 0; i < 1_000; i++)
      await throttle.begin(`guess${i}`, '203.0.113.9').catch((error: unknown) => refused.push(error));
    expect(refused).toHaveLength(1_000);
    expect(String(refused[0])).toMatch(/failed logins from this address/);
    expect(keys.get('login-user')!.size).toBe(3);
    // Another address still gets its own attempts, at any name.
    await expect(throttle.begin('guess0', '198.51.100.7')).resolves.toBeDefined();
  });

  it("a name's spent budget refuses without spending the address's", async () => {
    const { factory } = countingLimiters();
    const throttle = new LoginThrottle({ limiters: factory, failuresPerAddress: 10 });
    for (let i = 0; i < LOGIN_FAILURES_PER_USER; i++) await throttle.begin('alice', `192.0.2.${i}`);
    await expect(throttle.begin('alice', '203.0.113.1')).rejects.toThrow(/failed logins for this user name/);
    // That refusal gave the address its point back: it still has all 10 for other names.
    for (let i = 0; i < 10; i++) await throttle.begin(`other${i}`, '203.0.113.1');
    await expect(throttle.begin('other10', '203.0.113.1')).rejects.toThrow(/from this address/);
  });
});
