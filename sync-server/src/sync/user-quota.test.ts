// The per-user quota checks an update against the usage in hand: a refresh of the stored usage runs
// in the background, so no update waits for a storage query (one did per user every 15 s), and the
// refreshes due together share one query.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DocumentUsage, Storage } from '../storage/storage.ts';
import { MAX_REFRESH_BATCH, QuotaError, REFRESH_BATCH_MS, UserQuota } from './user-quota.ts';

const LIMITS = { documentsPerUser: 10, bytesPerUser: 1000 };

/** A storage whose usage queries the test answers (or fails) by hand: one usage for every prefix asked. */
function slowStorage() {
  const queries: {
    prefixes: readonly string[];
    resolve: (u: DocumentUsage) => void;
    reject: (e: Error) => void;
  }[] = [];
  const storage = {
    documentUsage: (prefixes: readonly string[]) =>
      new Promise<DocumentUsage[]>((resolve, reject) =>
        queries.push({ prefixes, resolve: (u) => resolve(prefixes.map(() => u)), reject }),
      ),
  } as unknown as Storage;
  return { storage, queries };
}

/** Lets every promise that can settle now settle (only Date is faked, so setImmediate is real). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits until the background refreshes due now have gone to storage (timers are real; this one is
 * armed after the quota's batch timer and expires later, so it fires after it however loaded).
 */
const batchSent = async () => {
  await new Promise((resolve) => setTimeout(resolve, REFRESH_BATCH_MS + 20));
  await flush();
};

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
    await flush();
    queries[0].resolve({ documents: 1, bytes: 100 });
    await first;
    vi.advanceTimersByTime(16_000);
    // The refresh is asked for and never answered: the update goes through all the same.
    expect(await settled(quota.admitBytes('u1', 10))).toBe(true);
    await batchSent();
    expect(queries).toHaveLength(2);
    // Later updates share that one refresh instead of each starting one.
    await admitted(quota.admitBytes('u1', 10));
    await batchSent();
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
    await flush();
    queries[0].resolve({ documents: 1, bytes: 0 });
    await first;
    vi.advanceTimersByTime(16_000);
    await admitted(quota.admitBytes('u1', 400));
    await batchSent();
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
    await flush();
    queries[0].resolve({ documents: 1, bytes: 100 });
    await first;
    vi.advanceTimersByTime(16_000);
    await admitted(quota.admitBytes('u1', 10));
    await batchSent();
    queries[1].reject(new Error('connection refused'));
    await flush();
    // Not one query per message while storage is down…
    for (let i = 0; i < 5; i++) await admitted(quota.admitBytes('u1', 10));
    await batchSent();
    expect(queries).toHaveLength(2);
    // …but another try once the pause is over.
    vi.advanceTimersByTime(2_500);
    await admitted(quota.admitBytes('u1', 10));
    await batchSent();
    expect(queries).toHaveLength(3);
    await expect(quota.admitBytes('u1', 900)).rejects.toBeInstanceOf(QuotaError);
  });

  /** A quota that knows `count` users (u0…), their usage gone stale. */
  async function staleUsers(count: number) {
    const { storage, queries } = slowStorage();
    const quota = new UserQuota(storage, LIMITS);
    const users = Array.from({ length: count }, (_, i) => `u${i}`);
    const known = Promise.all(users.map((u) => quota.admitDocument(u, `u/${u}/workspace`, async () => true)));
    for (let answered = 0; answered < count;) {
      await flush();
      for (const q of queries.splice(0)) {
        q.resolve({ documents: 1, bytes: 100 });
        answered += q.prefixes.length;
      }
    }
    await known;
    queries.length = 0;
    vi.advanceTimersByTime(16_000);
    return { quota, queries, users };
  }

  it('refreshes due together share one storage query, and each user gets their own answer', async () => {
    const { quota, queries, users } = await staleUsers(50);
    // All in one turn (awaiting each one could outlast the batch window on a loaded machine).
    const updates = users.map((u) => quota.admitBytes(u, 10));
    expect(await settled(Promise.all(updates))).toBe(true);
    await batchSent();
    expect(queries).toHaveLength(1);
    expect(queries[0].prefixes).toEqual(users.map((u) => `u/${u}/`));
    queries[0].resolve({ documents: 1, bytes: 990 });
    await flush();
    for (const u of users) await expect(quota.admitBytes(u, 200)).rejects.toBeInstanceOf(QuotaError);
  });

  it('a refresh someone waits for goes out at once, taking the background ones due with it', async () => {
    const { quota, queries, users } = await staleUsers(3);
    await admitted(quota.admitBytes(users[0], 10)); // background: waits for company
    await flush();
    expect(queries).toHaveLength(0);
    // Opening a document waits for the stale usage: no batch delay for it.
    const opening = quota.admitDocument(users[1], `u/${users[1]}/task/t1`, async () => false);
    await flush();
    expect(queries).toHaveLength(1);
    expect(queries[0].prefixes).toEqual([`u/${users[0]}/`, `u/${users[1]}/`]);
    queries[0].resolve({ documents: 1, bytes: 100 });
    await opening;
  });

  it('a storage answering for fewer users than asked fails their refresh: updates go on against the usage in hand', async () => {
    let calls = 0;
    const storage = {
      documentUsage: async (prefixes: readonly string[]) =>
        calls++ === 0 ? prefixes.map(() => ({ documents: 1, bytes: 900 })) : [],
    } as unknown as Storage;
    const quota = new UserQuota(storage, LIMITS);
    await quota.admitDocument('u1', 'u/u1/workspace', async () => true);
    vi.advanceTimersByTime(16_000);
    await admitted(quota.admitBytes('u1', 10));
    await batchSent();
    expect(calls).toBe(2);
    // Still the stored 900 bytes (plus what arrived): not a usage made up from a missing answer.
    await admitted(quota.admitBytes('u1', 10));
    await expect(quota.admitBytes('u1', 90)).rejects.toBeInstanceOf(QuotaError);
    // And no refresh per message until the pause after a failure is over.
    await batchSent();
    expect(calls).toBe(2);
  });

  it(`never asks storage for more than ${MAX_REFRESH_BATCH} users in one query`, async () => {
    const count = 2 * MAX_REFRESH_BATCH + 7;
    const { quota, queries, users } = await staleUsers(count);
    const updates = users.map((u) => quota.admitBytes(u, 10));
    expect(await settled(Promise.all(updates))).toBe(true);
    await batchSent();
    // The batches after a full one go out on the following turns.
    await expect
      .poll(() => queries.map((q) => q.prefixes.length))
      .toEqual([MAX_REFRESH_BATCH, MAX_REFRESH_BATCH, 7]);
    expect(new Set(queries.flatMap((q) => q.prefixes)).size).toBe(count);
  });
});
