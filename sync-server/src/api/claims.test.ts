import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLAIM_RELEASE_AFTER_MS, Claims, taken } from './claims.ts';

describe('[T4] one claim per key for an API check-then-write', () => {
  afterEach(() => vi.useRealTimers());

  it('refuses a racing request while one holds the key; a failed write lets it go at once, a successful one after its write has spread', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const claims = new Claims();
    let finish!: (v: string) => void;
    const first = claims.hold('message:u:t:m1', () => new Promise<string>((r) => (finish = r)));
    await Promise.resolve();
    expect(await claims.hold('message:u:t:m1', async () => 'second')).toBe(taken);
    expect(await claims.hold('message:u:t:m2', async () => 'another key')).toBe('another key');
    finish('first');
    expect(await first).toBe('first');
    expect(await claims.hold('message:u:t:m1', async () => 'too soon')).toBe(taken);
    await vi.advanceTimersByTimeAsync(CLAIM_RELEASE_AFTER_MS + 1);
    expect(await claims.hold('message:u:t:m1', async () => 'later')).toBe('later');

    await expect(
      claims.hold('binding:u:e:v', async () => {
        throw new Error('quota');
      }),
    ).rejects.toThrow('quota');
    expect(await claims.hold('binding:u:e:v', async () => 'retried')).toBe('retried');
  });
});
