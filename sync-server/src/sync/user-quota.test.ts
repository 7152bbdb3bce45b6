// The per-user quota checks an update against the usage in hand: a refresh of the stored usage runs
// in the background, so no update waits for a storage query (one did per user every 15 s).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Storage } from '../storage/storage.ts';
import { QuotaError, UserQuota } from './user-quota.ts';

const LIMITS = { documentsPerUser: 10, bytesPerUser: 1000 };

/** A storage whose usage queries the test answers (or fails) by hand. */
function slowStorage() {
  const queries: {
    resolve: (u: { documents: number; bytes: number }) => void;
    reject: (e: Error) => void;
  }[] = [];
  const storage = {
    documentUsage: () =>
      new Promise<{ documents: number; bytes: number }>((resolve, reject) =>
        queries.push({ resolve, reject }),
      ),
  } as unknown as Storage;
  return { storage, queries };
}

/** Lets every promise that can settle now settle (only Date is faked, so setImmediate is real). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const settled = async <T>(p: Promise<T>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await flush();
  return done;
};

/** The update is admitted without waiting for storage (a regression fails here instead of hanging). */
const admitted = async (p: Promise<void>) => {
  expect(await settled(p)).toBe(true);
  await p;
};

describe('UserQuota', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('waits for storage only for a user it knows nothing about', async () => {
    const { storage, queries } = slowStorage();
    const quota = new UserQuota(storage, LIMITS);
    const first = quota.admitDocument('u1', 'u/u1/workspace', async () => true);
    expect(await settled(first)).toBe(false);
    queries[0].resolve({ documents: 1, bytes: 100 });
    await first;
    expect(await settled(quota.admitBytes('u1', 10))).toBe(true);
    expect(queries).toHaveLength(1);
  });

  it('an update after the usage went stale does not wait for the refresh it starts', async () => {
    const { storage, queries } = slowStorage();
    const quota = new UserQuota(storage, LIMITS);
    const first = quota.admitDocument('u1', 'u/u1/workspace', async () => true);
    queries[0].resolve({ documents: 1, bytes: 100 });
    await first;
    vi.advanceTimersByTime(16_000);
    // The refresh is asked for and never answered: the update goes through all the same.
    expect(await settled(quota.admitBytes('u1', 10))).toBe(true);
    expect(queries).toHaveLength(2);
    // Later updates share that one refresh instead of each starting one.
    await admitted(quota.admitBytes('u1', 10));
    expect(queries).toHaveLength(2);
    // Its answer is what the next update is checked against.
    queries[1].resolve({ documents: 1, bytes: 990 });
    await flush();
    await expect(quota.admitBytes('u1', 200)).rejects.toBeInstanceOf(QuotaError);
  });

  it('bytes received while a refresh is in flight still count against the quota', async () => {
    const { storage, queries } = slowStorage();
    const quota = new UserQuota(storage, LIMITS);
    const first = quota.admitDocument('u1', 'u/u1/workspace', async () => true);
    queries[0].resolve({ documents: 1, bytes: 0 });
    await first;
    vi.advanceTimersByTime(16_000);
    await admitted(quota.admitBytes('u1', 400));
    await admitted(quota.admitBytes('u1', 400));
    // Not stored yet when the refresh reads the storage: the 800 bytes are carried over.
    queries[1].resolve({ documents: 1, bytes: 0 });
    await flush();
    await expect(quota.admitBytes('u1', 300)).rejects.toBeInstanceOf(QuotaError);
    await quota.admitBytes('u1', 100);
  });

  it('storage down: updates go on against the usage in hand, and the refresh is retried after a pause', async () => {
    const { storage, queries } = slowStorage();
    const quota = new UserQuota(storage, LIMITS);
    const first = quota.admitDocument('u1', 'u/u1/workspace', async () => true);
    queries[0].resolve({ documents: 1, bytes: 100 });
    await first;
    vi.advanceTimersByTime(16_000);
    await admitted(quota.admitBytes('u1', 10));
    queries[1].reject(new Error('connection refused'));
    await flush();
    // Not one query per message while storage is down…
    for (let i = 0; i < 5; i++) await admitted(quota.admitBytes('u1', 10));
    expect(queries).toHaveLength(2);
    // …but another try once the pause is over.
    vi.advanceTimersByTime(2_500);
    await admitted(quota.admitBytes('u1', 10));
    expect(queries).toHaveLength(3);
    await expect(quota.admitBytes('u1', 900)).rejects.toBeInstanceOf(QuotaError);
  });
});
