// The storage acceptance suite on a real PostgreSQL (started by the test, one fresh schema per
// test), plus what only a database shared by several processes needs.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as Y from 'yjs';
import { startPostgres, type RunningPostgres } from '../../testing/pg-redis.ts';
import { STORE_BACKGROUND_WINDOW_MS } from '../limits.ts';
import { PostgresStorage, USAGE_SQL, type PostgresStorageOptions } from './postgres-storage.ts';
import { storageAcceptance } from './storage.acceptance.ts';
import type { Storage } from './storage.ts';

let postgres: RunningPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

async function harness() {
  const url = await postgres.createSchema();
  const opened: Storage[] = [];
  return {
    url,
    async open(options?: PostgresStorageOptions) {
      const storage = await PostgresStorage.connect(url, options);
      opened.push(storage);
      return storage;
    },
    async dispose() {
      for (const s of opened) await s.close();
    },
    async exec(sql: { sqlite: string; postgres: string }) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql.postgres);
      } finally {
        await client.end();
      }
    },
    async appliedMigrations() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
        return rows.map((r) => Number(r.id));
      } finally {
        await client.end();
      }
    },
  };
}

/** A harness disposed when the test finishes. */
async function opened() {
  const h = await harness();
  onTestFinished(() => h.dispose());
  return h;
}

/** A plain client on the harness's database (to read or break what is stored), closed after the test. */
async function adminOf(url: string) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  onTestFinished(() => admin.end());
  return admin;
}

storageAcceptance('PostgreSQL', harness, { sharedByProcesses: true });

/** The map `m` of a stored state, as a plain object. */
const contents = (state: Uint8Array | null) => {
  if (!state) return null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.getMap('m').toJSON();
};

describe('PostgresStorage', () => {
  it('creates its schema once when several processes connect to a fresh database at once', async () => {
    const h = await harness();
    try {
      const storages = await Promise.all(Array.from({ length: 6 }, () => h.open()));
      await storages[0]!.createSession('hash', 'usr_a', Date.now() + 60_000, { now: Date.now(), keep: 10 });
      for (const s of storages) expect(await s.findSession('hash', Date.now())).toEqual({ userId: 'usr_a' });
      // And again on an existing schema (a restart).
      const again = await h.open();
      expect(await again.findSession('hash', Date.now())).toEqual({ userId: 'usr_a' });
    } finally {
      await h.dispose();
    }
  });

  it('writes stores that arrive together in one transaction, and a document whose merge fails fails alone', async () => {
    const h = await opened();
    const s = await h.open();
    const admin = await adminOf(h.url);
    // Every transaction that locks or writes a row gets the next transaction id.
    const transactions = async () => {
      const { rows } = await admin.query<{ n: string }>('SELECT txid_current() AS n');
      return Number(rows[0]!.n);
    };
    const docs = new Map<number, Y.Doc>();
    /** Document n's next state: each builds on the last, as a live document's stores do. */
    const doc = (i: number) => {
      const n = i % 1000;
      const d = docs.get(n) ?? new Y.Doc();
      docs.set(n, d);
      d.getMap('m').set('i', i);
      return Y.encodeStateAsUpdate(d);
    };
    // Stored once (new rows), then again with a change (merged rows).
    await Promise.all(Array.from({ length: 150 }, (_, i) => s.storeDocument(`doc-${i}`, doc(i))));
    const before = await transactions();
    await Promise.all(Array.from({ length: 150 }, (_, i) => s.storeDocument(`doc-${i}`, doc(i + 1000))));
    const used = (await transactions()) - before - 1;
    expect(used).toBe(2); // 2 batches of at most 100 documents (one store each: 150)
    const again = await h.open();
    expect(contents(await again.fetchDocument('doc-7'))).toEqual({ i: 1007 });
    // A stored state that is not a Yjs update: its store fails naming it, the others in its batch land.
    await admin.query("UPDATE documents SET state = '\\xdeadbeef' WHERE name = 'doc-3'");
    const results = await Promise.allSettled(
      [3, 4, 5].map((i) => s.storeDocument(`doc-${i}`, doc(i + 2000))),
    );
    expect(results[0]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('doc-3') },
    });
    expect(results.slice(1).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(contents(await again.fetchDocument('doc-5'))).toEqual({ i: 2005 });
  });

  it('gathers background stores for their window: 40 stores made over ~100 ms go in one transaction', async () => {
    const h = await opened();
    const s = await h.open();
    const admin = await adminOf(h.url);
    const transactions = async () => Number((await admin.query('SELECT txid_current() AS n')).rows[0].n);
    const state = (n: number) => {
      const d = new Y.Doc();
      d.getMap('m').set('n', n);
      return Y.encodeStateAsUpdate(d);
    };
    const before = await transactions();
    const started = performance.now();
    const stores: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      stores.push(s.storeDocument(`bg-${i}`, state(i), { background: true }));
      await new Promise((r) => setTimeout(r, 2)); // a store every few ms, as edits of many users come
    }
    await Promise.all(stores);
    // The first waited its whole window (timers fire late, never early: 5 ms for rounding).
    expect(performance.now() - started).toBeGreaterThanOrEqual(STORE_BACKGROUND_WINDOW_MS - 5);
    // One batch, or two if the machine held the loop past the window; a batch every 20 ms made 6-10.
    expect((await transactions()) - before - 1).toBeLessThanOrEqual(2);
    expect(contents(await (await h.open()).fetchDocument('bg-39'))).toEqual({ n: 39 });
  });

  it('a store a caller waits on is written without the background window, and takes the background stores queued before it along', async () => {
    const h = await opened();
    // A background window of a minute: a store that waited for it would fail the test by its timeout.
    const s = await h.open({ backgroundWindowMs: 60_000 });
    const state = (n: number) => {
      const d = new Y.Doc();
      d.getMap('m').set('n', n);
      return Y.encodeStateAsUpdate(d);
    };
    const written = new Set<string>();
    const background = Array.from({ length: 5 }, (_, i) =>
      s.storeDocument(`later-${i}`, state(i), { background: true }).then(() => written.add(`later-${i}`)),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(written.size).toBe(0); // still gathering
    await s.storeDocument('now', state(99));
    expect(contents(await (await h.open()).fetchDocument('now'))).toEqual({ n: 99 });
    await Promise.all(background); // in the same batch
    expect(written.size).toBe(5);
    // expedite(): a background store a caller has come to wait on goes without its window.
    const expedited = s.storeDocument('hurried', state(7), { background: true });
    await new Promise((r) => setTimeout(r, 100));
    s.expedite('hurried');
    await expedited;
    expect(contents(await (await h.open()).fetchDocument('hurried'))).toEqual({ n: 7 });
  });

  it('a store that holds everything stored is written without building a document; one that misses part of it is merged, losing nothing', async () => {
    const h = await opened();
    const s = await h.open();
    const live = new Y.Doc();
    const store = (doc: Y.Doc) =>
      s.storeDocument('doc', Y.encodeStateAsUpdate(doc), { snapshot: Y.snapshot(doc) });
    live.getMap('m').set('a', 1);
    await store(live);
    const stale = new Y.Doc();
    Y.applyUpdate(stale, Y.encodeStateAsUpdate(live)); // a process that then misses the next edits
    live.getMap('m').set('b', 2);
    live.getMap('m').delete('a'); // a deletion alone does not move the state vector
    await store(live);
    expect(s.merges).toBe(0);
    expect(contents(await s.fetchDocument('doc'))).toEqual({ b: 2 });
    stale.getMap('m').set('c', 3);
    await store(stale);
    expect(s.merges).toBe(1);
    expect(contents(await s.fetchDocument('doc'))).toEqual({ b: 2, c: 3 });
    // Only a deletion missing: the state vectors are equal, so they alone would call it held.
    const copy = new Y.Doc();
    Y.applyUpdate(copy, (await s.fetchDocument('doc'))!);
    const lagging = new Y.Doc();
    Y.applyUpdate(lagging, Y.encodeStateAsUpdate(copy));
    copy.getMap('m').delete('c');
    await store(copy);
    expect(s.merges).toBe(1);
    expect(contents(await s.fetchDocument('doc'))).toEqual({ b: 2 });
    await store(lagging);
    expect(s.merges).toBe(2);
    expect(contents(await s.fetchDocument('doc'))).toEqual({ b: 2 });
  });

  it('a state written without its snapshot (by an older server, during an upgrade) clears the stored one, so the next store merges and keeps that write', async () => {
    const h = await opened();
    const s = await h.open();
    const admin = await adminOf(h.url);
    const live = new Y.Doc();
    live.getMap('m').set('a', 1);
    await s.storeDocument('doc', Y.encodeStateAsUpdate(live), { snapshot: Y.snapshot(live) });
    const covers = async () =>
      (await admin.query<{ covers: Buffer | null }>("SELECT covers FROM documents WHERE name = 'doc'"))
        .rows[0]!.covers;
    expect(await covers()).not.toBeNull();
    // The older server merged in an edit this process never saw, and wrote the state alone.
    const elsewhere = new Y.Doc();
    Y.applyUpdate(elsewhere, Y.encodeStateAsUpdate(live));
    elsewhere.getMap('m').set('theirs', true);
    await admin.query("UPDATE documents SET state = $1 WHERE name = 'doc'", [
      Buffer.from(Y.encodeStateAsUpdate(elsewhere)),
    ]);
    expect(await covers()).toBeNull();
    live.getMap('m').set('mine', true);
    await s.storeDocument('doc', Y.encodeStateAsUpdate(live), { snapshot: Y.snapshot(live) });
    expect(contents(await s.fetchDocument('doc'))).toEqual({ a: 1, theirs: true, mine: true });
    expect(await covers()).not.toBeNull();
    // A snapshot that cannot be read is only a missed shortcut: the store merges.
    await admin.query("UPDATE documents SET covers = '\\xdeadbeef' WHERE name = 'doc'");
    live.getMap('m').set('later', 1);
    const merges = s.merges;
    await s.storeDocument('doc', Y.encodeStateAsUpdate(live), { snapshot: Y.snapshot(live) });
    expect(s.merges).toBe(merges + 1);
    expect(contents(await s.fetchDocument('doc'))).toEqual({ a: 1, theirs: true, mine: true, later: 1 });
  });

  it('two processes storing the same new documents in opposite orders at once lose nothing', async () => {
    const h = await opened();
    const [a, b] = [await h.open(), await h.open()];
    const names = Array.from({ length: 60 }, (_, i) => `new-${String(i).padStart(2, '0')}`);
    const state = (key: string) => {
      const d = new Y.Doc();
      d.getMap('m').set(key, true);
      return Y.encodeStateAsUpdate(d);
    };
    for (let round = 0; round < 3; round++) {
      const ns = names.map((n) => `${n}-${round}`);
      await Promise.all([
        ...ns.map((n) => a.storeDocument(n, state('a'))),
        ...[...ns].reverse().map((n) => b.storeDocument(n, state('b'))),
      ]);
      for (const n of ns) expect(contents(await a.fetchDocument(n))).toEqual({ a: true, b: true });
    }
    // The race made certain: another process's insert of the same new document is uncommitted
    // while this batch inserts it, and commits after; the batch then merges with its row.
    const admin = await adminOf(h.url);
    await admin.query('BEGIN');
    await admin.query('INSERT INTO documents (name, state, updated_at) VALUES ($1, $2, 0)', [
      'raced',
      Buffer.from(state('b')),
    ]);
    const storing = a.storeDocument('raced', state('a'));
    await new Promise((r) => setTimeout(r, 300)); // the batch is waiting in its INSERT
    await admin.query('COMMIT');
    await storing;
    expect(contents(await b.fetchDocument('raced'))).toEqual({ a: true, b: true });
  });

  it('[D7] a store another process has in flight when a document is deleted never brings it back, in either order', async () => {
    const h = await opened();
    const [a, b] = [await h.open(), await h.open()];
    const state = (key: string) => {
      const d = new Y.Doc();
      d.getMap('m').set(key, true);
      return Y.encodeStateAsUpdate(d);
    };
    const admin = await adminOf(h.url);
    const held = async (name: string, first: () => Promise<unknown>, second: () => Promise<unknown>) => {
      // Another transaction holds the row: both wait on it, queued in the order given.
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM documents WHERE name = $1 FOR UPDATE', [name]);
      const one = first();
      await new Promise((r) => setTimeout(r, 150));
      const two = second();
      await new Promise((r) => setTimeout(r, 150));
      await admin.query('COMMIT');
      await Promise.all([one, two]);
    };
    await a.storeDocument('doc-1', state('a'));
    await held(
      'doc-1',
      () => b.storeDocument('doc-1', state('b')),
      () => a.deleteDocuments(['doc-1']),
    );
    expect(await a.fetchDocument('doc-1')).toBeNull();
    await a.storeDocument('doc-2', state('a'));
    await held(
      'doc-2',
      () => a.deleteDocuments(['doc-2']),
      () => b.storeDocument('doc-2', state('b')),
    );
    expect(await b.fetchDocument('doc-2')).toBeNull();
    // Never stored before: the other process's first store inserts it (uncommitted) while the
    // deletion waits on that insert, and commits after.
    await admin.query('BEGIN');
    await admin.query('INSERT INTO documents (name, state, updated_at) VALUES ($1, $2, 0)', [
      'doc-3',
      Buffer.from(state('b')),
    ]);
    const deleting = a.deleteDocuments(['doc-3']);
    await new Promise((r) => setTimeout(r, 150));
    await admin.query('COMMIT');
    expect(await deleting).toBe(1);
    expect(await a.fetchDocument('doc-3')).toBeNull();
    // And at any moment: stores and deletions racing, every deleted document stays deleted.
    const names = Array.from({ length: 80 }, (_, i) => `race-${i}`);
    await Promise.all(
      names.map(async (name, i) => {
        await a.storeDocument(name, state('a'));
        await new Promise((r) => setTimeout(r, i % 7));
        await Promise.all([b.storeDocument(name, state('b')), a.deleteDocuments([name])]);
        await b.storeDocument(name, state('late'));
      }),
    );
    for (const name of names) expect(await b.fetchDocument(name)).toBeNull();
  });

  it('[D7] a store batch and a deletion waiting on the same uncommitted insert never deadlock; the deletion wins', async () => {
    const h = await opened();
    const [deleter, storer] = [await h.open(), await h.open()];
    const state = (key: string) => {
      const d = new Y.Doc();
      d.getMap('m').set(key, true);
      return Y.encodeStateAsUpdate(d);
    };
    const admin = await adminOf(h.url);
    for (let i = 0; i < 10; i++) {
      const [a, c] = [`a${i}`, `c${i}`];
      // A third process's batch has inserted `a` and not committed; a batch of {a, c} and a
      // deletion of {a, c} both wait on it.
      await admin.query('BEGIN');
      await admin.query('INSERT INTO documents (name, state, updated_at) VALUES ($1, $2, 0)', [
        a,
        Buffer.from(state('t')),
      ]);
      const stored = Promise.all([storer.storeDocument(a, state('s')), storer.storeDocument(c, state('s'))]);
      await new Promise((r) => setTimeout(r, 60));
      const deleted = deleter.deleteDocuments([a, c]);
      await new Promise((r) => setTimeout(r, 60));
      await admin.query('COMMIT');
      await expect(Promise.all([stored, deleted])).resolves.toBeDefined();
      expect(await deleter.fetchDocument(a)).toBeNull();
      expect(await deleter.fetchDocument(c)).toBeNull();
    }
  });

  it('a store made at any moment while a batch ends is written (none waits for a later store)', async () => {
    const h = await opened();
    const s = await h.open();
    const state = (n: number) => {
      const d = new Y.Doc();
      d.getMap('m').set('n', n);
      return Y.encodeStateAsUpdate(d);
    };
    // After a store resolves, the next is made 0..30 microtask turns later: one of them lands
    // between the batch loop's last look at its queue and the loop's end.
    for (let hops = 0; hops <= 30; hops++) {
      await s.storeDocument(`hop-${hops}`, state(hops));
      for (let i = 0; i < hops; i++) await Promise.resolve();
      const next = s.storeDocument(`hop-${hops}-next`, state(hops));
      const done = await Promise.race([
        next.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 2_000)),
      ]);
      expect(done, `a store ${hops} microtask turns after a batch`).toBe(true);
    }
  });

  it('close() writes the stores it accepted before it ends', async () => {
    const h = await opened();
    const s = await h.open();
    const d = new Y.Doc();
    d.getMap('m').set('last', 'words');
    const stored = s.storeDocument('closing', Y.encodeStateAsUpdate(d));
    await s.close();
    await stored;
    expect(contents(await (await h.open()).fetchDocument('closing'))).toEqual({ last: 'words' });
  });

  it("finds a user's documents by an index in byte order in a database collated en-US (ICU), where names sort otherwise", async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const name = `icu_${process.pid}`;
    try {
      await admin.query(
        `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`,
      );
    } finally {
      await admin.end();
    }
    const url = postgres.url.replace(/\/postgres$/, `/${name}`);
    const storage = await PostgresStorage.connect(url);
    onTestFinished(() => storage.close());
    // 'u/usr_A/…' sorts inside u/usr_a/'s range under en-US (case is a tertiary difference there).
    const names = [
      'u/usr_a/workspace',
      'u/usr_a/task/t1',
      'u/usr_a_/workspace',
      'u/usr_A/workspace',
      'u/usra/x',
    ];
    for (const [i, n] of names.entries()) await storage.storeDocument(n, new Uint8Array(10 ** i % 997));
    expect(await storage.documentUsage(['u/usr_a/', 'u/usr_a_/'])).toEqual([
      { documents: 2, bytes: 11 },
      { documents: 1, bytes: 100 },
    ]);
    expect(await storage.listDocuments('u/usr_a/')).toEqual(['u/usr_a/task/t1', 'u/usr_a/workspace']);
    // The scalability half: each prefix is an index range, not a read of the whole table.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        "INSERT INTO documents SELECT 'u/usr_' || g || '/workspace', '\\x00', 0 FROM generate_series(1, 5000) g",
      );
      await client.query('ANALYZE documents');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${USAGE_SQL}`, [
        ['u/usr_1/', 'u/usr_2/'],
        ['u/usr_1/\uffff', 'u/usr_2/\uffff'],
      ]);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('documents_name_bytes');
      expect(plan).not.toMatch(/Seq Scan on documents/);
    } finally {
      await client.end();
    }
  });

  it('fails with the database error when it cannot connect', async () => {
    await expect(
      PostgresStorage.connect(`postgres://postgres@127.0.0.1:${postgres.port}/no_such_database`),
    ).rejects.toThrow(/does not exist/);
  });
});
