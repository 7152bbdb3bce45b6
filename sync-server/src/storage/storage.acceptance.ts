// The one acceptance suite every Storage implementation passes (CONVENTIONS: interchangeable
// implementations share one suite). `sqlite-storage.test.ts` and
// `postgres-storage.integration.test.ts` call `storageAcceptance` with their own harness.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compactDeletedKeys, createTask, deleteTask, listTasks, trimDeletions } from '@openviber/shared';
import * as Y from 'yjs';
import type { Storage, ViberCredential } from './storage.ts';
import { DatabaseNewerThanCodeError, MIGRATIONS_TABLE_SQL, migrations } from './migrations.ts';
import { DOCUMENT_TOMBSTONE_MS } from '../limits.ts';

export interface StorageHarness {
  /** Opens a Storage on this harness's (initially empty) database; again = a reopen / another process. */
  open(): Promise<Storage>;
  /** Closes what `open` returned and removes the database. */
  dispose(): Promise<void>;
  /** Runs raw SQL on the harness's database outside any Storage (to build an older release's database). */
  exec(sql: { sqlite: string; postgres: string }): Promise<void>;
  /** The ids recorded in the database's `schema_migrations`, in order. */
  appliedMigrations(): Promise<number[]>;
}

export interface AcceptanceOptions {
  /**
   * Several processes may store one document concurrently (PostgreSQL): stores then must merge,
   * never let an older or diverging full state replace what another process stored.
   * SQLite serves one process, whose every store is its full, newest state.
   */
  sharedByProcesses: boolean;
}

// Past 2^31 on purpose: timestamps are epoch milliseconds and must round-trip exactly.
const T0 = 1_767_225_600_123;

const docWith = (entries: Record<string, unknown>, base?: Uint8Array) => {
  const doc = new Y.Doc();
  if (base) Y.applyUpdate(doc, base);
  doc.transact(() => {
    for (const [k, v] of Object.entries(entries)) {
      if (v === undefined) doc.getMap('m').delete(k);
      else doc.getMap('m').set(k, v);
    }
  });
  return doc;
};
const stateOf = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc);
/** The map `m` of a stored state, as a plain object. */
const contents = (state: Uint8Array | null) => {
  if (!state) return null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.getMap('m').toJSON();
};

const viber = (n: number, userId = 'usr_a'): ViberCredential => ({
  viberId: `vbr_${n}`,
  userId,
  name: `laptop ${n}`,
  publicKey: `pk${n}`.padEnd(44, '='),
  createdAt: T0 + n,
  lastSeenAt: 0,
});

/** The tables as the previous release (commit 2c858b5) created them, with a user, session and document. */
const PREVIOUS_RELEASE = {
  sqlite: `
CREATE TABLE documents (name TEXT PRIMARY KEY, state BLOB NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE onboarding_tokens (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE vibers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER);`,
  postgres: `
CREATE TABLE documents (name TEXT PRIMARY KEY, state BYTEA NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE onboarding_tokens (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
CREATE TABLE vibers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT);
CREATE INDEX vibers_user_id ON vibers (user_id);`,
};
const FAR_FUTURE = 4_102_444_800_000; // 2100-01-01
/** A Yjs state as hex, for a literal in either SQL dialect. */
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const withRows = (documentHex: string) => {
  const rows = [
    `INSERT INTO users (id, username, password_hash, created_at) VALUES ('usr_old', 'Alice', 'scrypt$old', ${T0});`,
    `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('old-session', 'usr_old', ${FAR_FUTURE});`,
    `INSERT INTO vibers (id, user_id, name, public_key, token_hash, created_at, last_seen_at) VALUES ('vbr_old', 'usr_old', 'laptop', '${'k'.repeat(43)}=', 'old-viber-token', ${T0}, ${T0 + 1});`,
  ].join('\n');
  return {
    sqlite: `${PREVIOUS_RELEASE.sqlite}\n${rows}\nINSERT INTO documents (name, state, updated_at) VALUES ('u/usr_old/workspace', X'${documentHex}', ${T0});`,
    postgres: `${PREVIOUS_RELEASE.postgres}\n${rows}\nINSERT INTO documents (name, state, updated_at) VALUES ('u/usr_old/workspace', '\\x${documentHex}'::bytea, ${T0});`,
  };
};

export function storageAcceptance(
  name: string,
  makeHarness: () => Promise<StorageHarness>,
  options: AcceptanceOptions,
): void {
  describe(`Storage acceptance: ${name}`, () => {
    let harness: StorageHarness | undefined;
    afterEach(async () => {
      await harness?.dispose();
      harness = undefined;
    });
    const open = async () => {
      harness ??= await makeHarness();
      return harness.open();
    };

    describe('documents', () => {
      it('returns null for a document never stored, and the stored state once stored', async () => {
        const s = await open();
        expect(await s.fetchDocument('u/usr_a/workspace')).toBeNull();
        await s.storeDocument('u/usr_a/workspace', stateOf(docWith({ a: 1, nested: { x: [1, 2] } })));
        expect(contents(await s.fetchDocument('u/usr_a/workspace'))).toEqual({ a: 1, nested: { x: [1, 2] } });
        expect(await s.fetchDocument('u/usr_b/workspace')).toBeNull();
      });

      it('keeps the newest state, deletions included, and keeps documents apart', async () => {
        const s = await open();
        const v1 = docWith({ a: 1, b: 2 });
        await s.storeDocument('doc-1', stateOf(v1));
        await s.storeDocument('doc-2', stateOf(docWith({ other: true })));
        const v2 = docWith({ a: undefined, c: 3 }, stateOf(v1));
        await s.storeDocument('doc-1', stateOf(v2));
        expect(contents(await s.fetchDocument('doc-1'))).toEqual({ b: 2, c: 3 });
        expect(contents(await s.fetchDocument('doc-2'))).toEqual({ other: true });
      });

      it('survives closing and reopening the storage', async () => {
        const s = await open();
        const big = 'x'.repeat(200_000);
        await s.storeDocument('u/usr_a/workspace', stateOf(docWith({ big, n: 42 })));
        await s.close();
        const again = await harness!.open();
        expect(contents(await again.fetchDocument('u/usr_a/workspace'))).toEqual({ big, n: 42 });
      });

      if (options.sharedByProcesses) {
        it('keeps both sides when two processes store diverging states of one document concurrently', async () => {
          const a = await open();
          const b = await harness!.open();
          const base = stateOf(docWith({ shared: 'base', gone: 'soon' }));
          await a.storeDocument('doc', base);
          // Twenty forks of the base, each with its own edit, stored at once through two connections.
          const forks = Array.from({ length: 20 }, (_, i) =>
            docWith(i === 0 ? { gone: undefined, [`k${i}`]: i } : { [`k${i}`]: i }, base),
          );
          await Promise.all(forks.map((fork, i) => (i % 2 ? a : b).storeDocument('doc', stateOf(fork))));
          const expected: Record<string, unknown> = { shared: 'base' };
          for (let i = 0; i < 20; i++) expected[`k${i}`] = i;
          expect(contents(await a.fetchDocument('doc'))).toEqual(expected);
          expect(contents(await b.fetchDocument('doc'))).toEqual(expected);
        });

        it("never lets a process's older state overwrite another's newer one", async () => {
          const a = await open();
          const b = await harness!.open();
          const old = docWith({ title: 'draft' });
          await a.storeDocument('doc', stateOf(old));
          await b.storeDocument('doc', stateOf(docWith({ title: 'final', body: 'text' }, stateOf(old))));
          await a.storeDocument('doc', stateOf(old)); // a stale full state from a process that missed b's edit
          expect(contents(await b.fetchDocument('doc'))).toEqual({ title: 'final', body: 'text' });
        });

        it("[D9] keeps a workspace compacted when another process's full state still holds what deletions left", async () => {
          const a = await open();
          const b = await harness!.open();
          const name = 'u/usr_a/workspace';
          const full = new Y.Doc();
          const kept = createTask(full, { environmentId: 'env_1', title: 'kept', viberId: '' });
          for (let i = 0; i < 200; i++)
            deleteTask(full, createTask(full, { environmentId: 'env_1', title: `t${i}`, viberId: '' }));
          trimDeletions(full, 0);
          const compacted = new Y.Doc();
          Y.applyUpdate(compacted, stateOf(full));
          compactDeletedKeys(compacted);
          // b stored the full state before; a stores the compacted one; b's stale full state again.
          await b.storeDocument(name, stateOf(full));
          await a.storeDocument(name, stateOf(compacted));
          await b.storeDocument(name, stateOf(full));
          const stored = (await a.fetchDocument(name))!;
          expect(stored.length).toBeLessThan(stateOf(compacted).length + 64);
          expect(stored.length).toBeLessThan(stateOf(full).length / 4);
          const loaded = new Y.Doc();
          Y.applyUpdate(loaded, stored);
          expect(listTasks(loaded).map((t) => t.id)).toEqual([kept]);
        });
      }
    });

    describe('document usage', () => {
      /** Three users' documents, one user's id a prefix of another's. */
      const storeUsers = async (s: Storage) => {
        await s.storeDocument('u/usr_a/workspace', new Uint8Array(100));
        await s.storeDocument('u/usr_a/task/t1', new Uint8Array(50));
        await s.storeDocument('u/usr_ab/workspace', new Uint8Array(7));
        await s.storeDocument('u/usr_b/workspace', new Uint8Array(9));
      };

      it('counts the documents and bytes stored under a name prefix, and nothing outside it', async () => {
        const s = await open();
        await storeUsers(s);
        expect(await s.documentUsage(['u/usr_a/'])).toEqual([{ documents: 2, bytes: 150 }]);
        expect(await s.documentUsage(['u/usr_c/'])).toEqual([{ documents: 0, bytes: 0 }]);
        expect(await s.documentUsage([])).toEqual([]);
      });

      it('answers many prefixes in one call, each in the order asked, a prefix of another name kept apart', async () => {
        const s = await open();
        await storeUsers(s);
        // Names that sort between the prefixes in some collations (glibc's en_US ignores '_' and '/'
        // at the first level): byte order is what separates them.
        await s.storeDocument('u/usr_a_/workspace', new Uint8Array(3));
        await s.storeDocument('u/usra/workspace', new Uint8Array(4));
        const usage = await s.documentUsage(['u/usr_b/', 'u/usr_c/', 'u/usr_a/', 'u/usr_ab/', 'u/usr_a/']);
        expect(usage).toEqual([
          { documents: 1, bytes: 9 },
          { documents: 0, bytes: 0 },
          { documents: 2, bytes: 150 },
          { documents: 1, bytes: 7 },
          { documents: 2, bytes: 150 },
        ]);
        expect(await s.listDocuments('u/usr_a/')).toEqual(['u/usr_a/task/t1', 'u/usr_a/workspace']);
        const many = Array.from({ length: 1200 }, (_, i) => `u/usr_${i}/`);
        expect(await s.documentUsage(many)).toHaveLength(1200);
      });
    });

    describe('[D7] deleting documents', () => {
      it('lists the documents under a prefix and deletes exactly the named ones', async () => {
        const s = await open();
        const names = ['u/usr_a/task/t1', 'u/usr_a/viber/v1/run/t1', 'u/usr_a/workspace', 'u/usr_ab/task/t1'];
        for (const n of names) await s.storeDocument(n, new Uint8Array([0, 0]));
        expect(await s.listDocuments('u/usr_a/')).toEqual(names.slice(0, 3));
        expect(await s.deleteDocuments(['u/usr_a/task/t1', 'u/usr_a/viber/v1/run/t1', 'u/usr_a/never'])).toBe(
          2,
        );
        expect(await s.fetchDocument('u/usr_a/task/t1')).toBeNull();
        expect(await s.listDocuments('u/usr_a/')).toEqual(['u/usr_a/workspace']);
        expect(await s.fetchDocument('u/usr_ab/task/t1')).not.toBeNull();
        expect(await s.deleteDocuments([])).toBe(0);
      });

      it('a deleted document is never stored again, whether it was stored or not; readers skip its tombstone, which goes after a day', async () => {
        const s = await open();
        const state = stateOf(docWith({ k: 1 }));
        await s.storeDocument('u/usr_a/task/t1', state);
        await s.storeDocument('u/usr_a/workspace', state);
        // t2 was never stored (loaded on another process, its first store still in flight).
        expect(await s.deleteDocuments(['u/usr_a/task/t1', 'u/usr_a/task/t2'])).toBe(1);
        await s.storeDocument('u/usr_a/task/t1', stateOf(docWith({ k: 2 })));
        await s.storeDocument('u/usr_a/task/t2', state);
        expect(await s.fetchDocument('u/usr_a/task/t1')).toBeNull();
        expect(await s.fetchDocument('u/usr_a/task/t2')).toBeNull();
        expect(await s.listDocuments('u/usr_a/')).toEqual(['u/usr_a/workspace']);
        // Tombstones count as documents (no bytes) until they go: a user cannot make them without bound.
        expect(await s.documentUsage(['u/usr_a/'])).toEqual([{ documents: 3, bytes: state.byteLength }]);
        // Deleting again removes nothing more.
        expect(await s.deleteDocuments(['u/usr_a/task/t1'])).toBe(0);
        // A day later the next deletion drops the old tombstones: the names are free again.
        const later = Date.now() + DOCUMENT_TOMBSTONE_MS + 1_000;
        const clock = vi.spyOn(Date, 'now').mockReturnValue(later);
        try {
          await s.deleteDocuments(['u/usr_a/task/other']);
        } finally {
          clock.mockRestore();
        }
        await s.storeDocument('u/usr_a/task/t2', state);
        expect(await s.fetchDocument('u/usr_a/task/t2')).not.toBeNull();
        expect(await s.fetchDocument('u/usr_a/task/other')).toBeNull();
      });

      it('deletes 2,000 documents in one call', async () => {
        const s = await open();
        const names = Array.from({ length: 2000 }, (_, i) => `u/usr_a/task/t${i}`);
        for (const n of names) await s.storeDocument(n, new Uint8Array([0, 0]));
        expect(await s.deleteDocuments(names)).toBe(2000);
        expect(await s.listDocuments('u/usr_a/')).toEqual([]);
      });
    });

    describe('users', () => {
      const user = { id: 'usr_a', username: 'ada', passwordHash: 'argon2id$hash', createdAt: T0 };

      it('creates a user and finds it by username and by id', async () => {
        const s = await open();
        expect(await s.createUser(user)).toBe(true);
        expect(await s.findUserByUsername('ada')).toEqual(user);
        expect(await s.findUserById('usr_a')).toEqual(user);
        expect(await s.findUserByUsername('bob')).toBeNull();
        expect(await s.findUserById('usr_b')).toBeNull();
      });

      it('refuses a taken username, even under concurrent signups', async () => {
        const s = await open();
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => s.createUser({ ...user, id: `usr_${i}` })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await s.createUser({ ...user, id: 'usr_z' })).toBe(false);
        expect(await s.createUser({ ...user, id: 'usr_y', username: 'bob' })).toBe(true);
      });

      it('treats user names case-insensitively: Alice and alice are one name', async () => {
        const s = await open();
        const alice = { ...user, id: 'usr_alice', username: 'Alice' };
        expect(await s.createUser(alice)).toBe(true);
        const results = await Promise.all(
          ['alice', 'ALICE', 'aLiCe'].map((username, i) =>
            s.createUser({ ...user, id: `usr_c${i}`, username }),
          ),
        );
        expect(results).toEqual([false, false, false]);
        expect(await s.findUserByUsername('alice')).toEqual(alice);
        expect(await s.findUserByUsername('ALICE')).toEqual(alice);
      });

      it('[T7] sets the signing key only over the expected one: of concurrent first sets one wins', async () => {
        const s = await open();
        await s.createUser(user);
        expect(await s.getSigningKey('usr_a')).toBeNull();
        const keys = Array.from({ length: 6 }, (_, i) => `${String(i).repeat(43)}=`);
        const results = await Promise.all(keys.map((k) => s.setSigningKey('usr_a', k, null)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = keys[results.indexOf(true)]!;
        expect(await s.getSigningKey('usr_a')).toBe(winner);
        expect(await s.setSigningKey('usr_a', keys[0]!, 'stale')).toBe(false);
        expect(await s.setSigningKey('usr_a', 'B'.repeat(43) + '=', winner)).toBe(true);
        expect(await s.findUserById('usr_a')).toEqual(user);
        expect(await s.getSigningKey('usr_nobody')).toBeNull();
      });
    });

    describe('sessions', () => {
      it('finds a session until it expires, and not after it was deleted', async () => {
        const s = await open();
        await s.createSession('hash-1', 'usr_a', T0 + 1000, { now: T0, keep: 10 });
        await s.createSession('hash-2', 'usr_b', T0 + 1000, { now: T0, keep: 10 });
        expect(await s.findSession('hash-1', T0)).toEqual({ userId: 'usr_a' });
        expect(await s.findSession('hash-1', T0 + 999)).toEqual({ userId: 'usr_a' });
        expect(await s.findSession('hash-1', T0 + 1000)).toBeNull();
        expect(await s.findSession('unknown', T0)).toBeNull();
        await s.deleteSession('hash-1');
        expect(await s.findSession('hash-1', T0)).toBeNull();
        expect(await s.findSession('hash-2', T0)).toEqual({ userId: 'usr_b' });
      });
    });

    describe('[S20] bounded per user', () => {
      it("a new session drops the user's expired ones and all but the newest `keep`; other users' stay", async () => {
        const s = await open();
        await s.createSession('old', 'usr_a', T0 + 10, { now: T0, keep: 3 });
        await s.createSession('other', 'usr_b', T0 + 10, { now: T0, keep: 3 });
        for (let i = 0; i < 5; i++)
          await s.createSession(`live-${i}`, 'usr_a', T0 + 1_000 + i, { now: T0 + 20, keep: 3 });
        const found = async (hash: string) => (await s.findSession(hash, T0)) !== null;
        expect(await found('old')).toBe(false); // expired at the later creation
        expect(await Promise.all(['live-0', 'live-1', 'live-2', 'live-3', 'live-4'].map(found))).toEqual([
          false,
          false,
          true,
          true,
          true,
        ]);
        expect(await found('other')).toBe(true);
      });

      it("a new onboarding token drops the user's expired ones and all but the newest `keep`, used or not", async () => {
        const s = await open();
        await s.createOnboardingToken('expired', 'usr_a', T0 + 10, { now: T0, keep: 2 });
        await s.createOnboardingToken('used', 'usr_a', T0 + 60_000, { now: T0, keep: 2 });
        expect(await s.consumeOnboardingToken('used', T0)).toEqual({ ok: true, userId: 'usr_a' });
        await s.createOnboardingToken('new', 'usr_a', T0 + 60_001, { now: T0 + 20, keep: 2 });
        expect(await s.consumeOnboardingToken('expired', T0)).toEqual({ ok: false, reason: 'unknown' });
        expect(await s.consumeOnboardingToken('used', T0)).toEqual({ ok: false, reason: 'used' });
        await s.createOnboardingToken('newer', 'usr_a', T0 + 60_002, { now: T0 + 20, keep: 2 });
        expect(await s.consumeOnboardingToken('used', T0)).toEqual({ ok: false, reason: 'unknown' });
        expect(await s.consumeOnboardingToken('new', T0)).toEqual({ ok: true, userId: 'usr_a' });
      });
    });

    describe('onboarding tokens', () => {
      it('is used up by exactly one of many concurrent consumers', async () => {
        const s = await open();
        const others = options.sharedByProcesses ? [s, await harness!.open()] : [s];
        await s.createOnboardingToken('ot-1', 'usr_a', T0 + 60_000, { now: T0, keep: 10 });
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => others[i % others.length]!.consumeOnboardingToken('ot-1', T0)),
        );
        expect(results.filter((r) => r.ok)).toEqual([{ ok: true, userId: 'usr_a' }]);
        expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'used')).toBe(true);
        expect(await s.consumeOnboardingToken('ot-1', T0 + 1)).toEqual({ ok: false, reason: 'used' });
      });

      it('refuses an expired token and an unknown one', async () => {
        const s = await open();
        await s.createOnboardingToken('ot-2', 'usr_a', T0 + 60_000, { now: T0, keep: 10 });
        expect(await s.consumeOnboardingToken('ot-2', T0 + 60_000)).toEqual({ ok: false, reason: 'expired' });
        expect(await s.consumeOnboardingToken('nope', T0)).toEqual({ ok: false, reason: 'unknown' });
      });
    });

    describe('Viber credentials', () => {
      it('finds a Viber by its token and lists the user\u2019s Vibers in creation order', async () => {
        const s = await open();
        await s.createViber(viber(2), 'tok-2');
        await s.createViber(viber(1), 'tok-1');
        await s.createViber(viber(3, 'usr_b'), 'tok-3');
        expect(await s.findViberByToken('tok-1')).toEqual(viber(1));
        expect(await s.findViberByToken('tok-x')).toBeNull();
        expect(await s.listVibers('usr_a')).toEqual([viber(1), viber(2)]);
        expect(await s.listVibers('usr_c')).toEqual([]);
      });

      it("revokes a Viber's credentials once, only for its own user", async () => {
        const s = await open();
        await s.createViber(viber(1), 'tok-1');
        await s.createViber(viber(2), 'tok-2');
        expect(await s.revokeViber('usr_b', 'vbr_1')).toBe(false);
        expect(await s.revokeViber('usr_a', 'vbr_9')).toBe(false);
        expect(await s.revokeViber('usr_a', 'vbr_1')).toBe(true);
        expect(await s.revokeViber('usr_a', 'vbr_1')).toBe(false);
        expect(await s.findViberByToken('tok-1')).toBeNull();
        expect(await s.listVibers('usr_a')).toEqual([viber(2)]);
      });

      it('tells which of many token hashes still authenticate: live sessions and Vibers not revoked', async () => {
        const s = await open();
        await s.createSession('sess-live', 'usr_a', T0 + 1000, { now: T0, keep: 10 });
        await s.createSession('sess-expired', 'usr_a', T0 + 10, { now: T0, keep: 10 });
        await s.createSession('sess-out', 'usr_a', T0 + 1000, { now: T0, keep: 10 });
        await s.deleteSession('sess-out');
        await s.createViber(viber(1), 'tok-1');
        await s.createViber(viber(2), 'tok-2');
        await s.revokeViber('usr_a', 'vbr_2');
        const asked = ['sess-live', 'sess-expired', 'sess-out', 'tok-1', 'tok-2', 'nope'];
        expect(await s.liveTokenHashes(asked, T0 + 100)).toEqual(new Set(['sess-live', 'tok-1']));
        expect(await s.liveTokenHashes([], T0)).toEqual(new Set());
        // Thousands at once (every socket of a busy server): the live ones are found wherever they sit.
        const many = [...Array.from({ length: 1_200 }, (_, i) => `unknown-${i}`), 'tok-1', 'sess-live'];
        expect(await s.liveTokenHashes(many, T0 + 100)).toEqual(new Set(['sess-live', 'tok-1']));
      });

      it('records when a Viber was last seen', async () => {
        const s = await open();
        await s.createViber(viber(1), 'tok-1');
        await s.touchViber('vbr_1', T0 + 5000);
        expect((await s.findViberByToken('tok-1'))?.lastSeenAt).toBe(T0 + 5000);
        expect((await s.listVibers('usr_a'))[0]?.lastSeenAt).toBe(T0 + 5000);
        await s.touchViber('vbr_unknown', T0); // no such Viber: nothing happens
      });
    });

    describe('[M1] migrations', () => {
      it('starts on a database of the previous release (2c858b5) with its data intact, and migrates it', async () => {
        harness = await makeHarness();
        const workspace = stateOf(docWith({ env: 'kept', n: 7 }));
        await harness.exec(withRows(hexOf(workspace)));
        const s = await harness.open();
        expect(await s.findUserByUsername('alice')).toMatchObject({ id: 'usr_old', username: 'Alice' });
        expect(await s.findSession('old-session', Date.now())).toEqual({ userId: 'usr_old' });
        expect(await s.findViberByToken('old-viber-token')).toMatchObject({
          viberId: 'vbr_old',
          lastSeenAt: T0 + 1,
        });
        expect(contents(await s.fetchDocument('u/usr_old/workspace'))).toEqual({ env: 'kept', n: 7 });
        // Migration 1 ran: the folded name is taken now.
        expect(
          await s.createUser({ id: 'usr_new', username: 'ALICE', passwordHash: 'h', createdAt: T0 }),
        ).toBe(false);
        // And a second start on the migrated database applies nothing twice.
        const again = await harness.open();
        expect(await again.findUserById('usr_old')).toMatchObject({ username: 'Alice' });
      });

      it('a fresh database and one of the previous release go through the same list, base schema first', async () => {
        const all = migrations.map((m) => m.id).sort((a, b) => a - b);
        expect(all[0], 'the base schema is the first migration').toBe(0);
        harness = await makeHarness();
        await harness.open();
        expect(await harness.appliedMigrations()).toEqual(all);
        await harness.dispose();
        harness = await makeHarness();
        await harness.exec(withRows(hexOf(stateOf(docWith({ a: 1 })))));
        await harness.open();
        expect(await harness.appliedMigrations()).toEqual(all);
      });

      it('starts on a database migrated before the base schema joined the list (1 and 2 recorded), data intact', async () => {
        harness = await makeHarness();
        const migrated = migrations.filter((m) => m.id === 1 || m.id === 2);
        expect(migrated.map((m) => m.id)).toEqual([1, 2]);
        const sql = withRows(hexOf(stateOf(docWith({ env: 'kept' }))));
        const record = `INSERT INTO schema_migrations (id, applied_at) VALUES (1, ${T0}), (2, ${T0});`;
        await harness.exec({
          sqlite: [sql.sqlite, MIGRATIONS_TABLE_SQL, ...migrated.map((m) => m.sqlite), record].join('\n'),
          postgres: [sql.postgres, MIGRATIONS_TABLE_SQL, ...migrated.map((m) => m.postgres), record].join(
            '\n',
          ),
        });
        const s = await harness.open();
        expect(await harness.appliedMigrations()).toEqual(migrations.map((m) => m.id).sort((a, b) => a - b));
        expect(await s.findUserByUsername('alice')).toMatchObject({ id: 'usr_old', username: 'Alice' });
        expect(await s.findViberByToken('old-viber-token')).toMatchObject({ viberId: 'vbr_old' });
        expect(contents(await s.fetchDocument('u/usr_old/workspace'))).toEqual({ env: 'kept' });
      });

      it('refuses to start on a database migrated by newer code, naming the database and the unknown ids', async () => {
        harness = await makeHarness();
        const s = await harness.open();
        await s.storeDocument('u/usr_a/workspace', stateOf(docWith({ a: 1 })));
        await s.close();
        const known = Math.max(...migrations.map((m) => m.id));
        await harness.exec({
          sqlite: `INSERT INTO schema_migrations (id, applied_at) VALUES (${known + 1}, ${T0}), (${known + 7}, ${T0});`,
          postgres: `INSERT INTO schema_migrations (id, applied_at) VALUES (${known + 1}, ${T0}), (${known + 7}, ${T0});`,
        });
        const refused = await harness.open().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(DatabaseNewerThanCodeError);
        const message = (refused as Error).message;
        expect(message).toMatch(new RegExp(`migrations ${known + 1}, ${known + 7} are unknown`));
        expect(message).toMatch(/(SQLite|PostgreSQL) database \S+/);
        // Nothing was touched: once the newer ids are gone, the data is there.
        await harness.exec({
          sqlite: `DELETE FROM schema_migrations WHERE id > ${known};`,
          postgres: `DELETE FROM schema_migrations WHERE id > ${known};`,
        });
        expect(contents(await (await harness.open()).fetchDocument('u/usr_a/workspace'))).toEqual({ a: 1 });
      });
    });
  });
}
