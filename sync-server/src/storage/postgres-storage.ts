// Storage on PostgreSQL (`pg`, pure JS), for several sync-server processes sharing one database.
//
// Documents: several processes may hold the same document and store it concurrently (a process
// that received updates through Redis holds state it did not store itself). A plain upsert would
// let one process's older full state overwrite another's newer one, so a store merges: inside a
// transaction it locks the document's row (an upsert that changes nothing, in name order), applies
// the stored state and the new one to a Y.Doc and writes the union back. Yjs updates are commutative and idempotent, so
// the order of concurrent stores does not matter and nothing either process held is lost.
import pg from 'pg';
import { compactDeletedKeys, parseDocName } from '@openviber/shared';
import * as Y from 'yjs';
import type {
  ConsumeResult,
  SessionBound,
  Storage,
  StoreOptions,
  UserRow,
  ViberCredential,
} from './storage.ts';
import { toUser, toViber, type Row } from './rows.ts';
import { MIGRATIONS_TABLE_SQL, pendingMigrations } from './migrations.ts';
import { snapshotHolds } from './snapshot-holds.ts';
import {
  DOCUMENT_TOMBSTONE_MS,
  TOMBSTONE_PRUNE_BATCH,
  MAX_STORE_BATCH_BYTES,
  MAX_STORE_BATCH_DOCUMENTS,
  STORE_BACKGROUND_WINDOW_MS,
  STORE_BATCH_WINDOW_MS,
} from '../limits.ts';

/** Serialises migrations between processes starting at once (two would both apply a pending one). */
const SCHEMA_LOCK_KEY = 0x6f76_7362; // "ovsb"

/** The database a URL names, without its password: host, port, database and search_path schema. */
function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    const schema = /search_path(?:=|%3D)([\w-]+)/i.exec(decodeURIComponent(u.search))?.[1];
    return `${u.hostname}:${u.port || 5432}${u.pathname}${schema ? ` (schema ${schema})` : ''}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The union of two full document states, garbage-collected like a live document's state. The
 * incoming state goes in first: where both hold a range, the first applied form stays, and the
 * incoming one is the newer, possibly compacted ([D9]) form of what the stored one holds in full.
 */
function mergeStates(
  name: string,
  stored: Uint8Array,
  incoming: Uint8Array,
): { state: Uint8Array; snapshot: Y.Snapshot } {
  // A guid given: Yjs would otherwise make a uuid with 31 getRandomValues calls (2.5% of a busy
  // server's time in the 2-process bench).
  const doc = new Y.Doc({ guid: 'merge' });
  try {
    Y.applyUpdate(doc, incoming);
    Y.applyUpdate(doc, stored);
    // What only the stored state held may be deleted keys the storing process never saw in full.
    if (parseDocName(name)?.kind === 'workspace') compactDeletedKeys(doc);
    return { state: Y.encodeStateAsUpdate(doc), snapshot: Y.snapshot(doc) };
  } finally {
    doc.destroy();
  }
}

/** A stored snapshot, or null when it cannot be read (it is only a shortcut: the merge is then done). */
function readSnapshot(bytes: Uint8Array): Y.Snapshot | null {
  try {
    return Y.decodeSnapshot(bytes);
  } catch {
    return null;
  }
}

const toBuffer = (state: Uint8Array) => Buffer.from(state.buffer, state.byteOffset, state.byteLength);

interface QueuedStore {
  states: Uint8Array[];
  /** Each state's snapshot, where its caller gave one. */
  snapshots: (Y.Snapshot | undefined)[];
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
  /** When the first of these states was queued (performance.now()). */
  since: number;
  /** A caller waits on one of them (not only background stores). */
  awaited: boolean;
}

/** Documents and bytes under each prefix ($1, upper bounds $2): PostgresStorage.documentUsage. */
export const USAGE_SQL = `SELECT p.i, count(d.name) AS n, coalesce(sum(octet_length(d.state)), 0) AS bytes
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(low, high, i)
  LEFT JOIN documents d ON d.name COLLATE "C" >= p.low AND d.name COLLATE "C" < p.high
  GROUP BY p.i`;

export interface PostgresStorageOptions {
  /** Connections in this process's pool (default 10). */
  max?: number;
  /** How long background stores are gathered (default STORE_BACKGROUND_WINDOW_MS). */
  backgroundWindowMs?: number;
  log?: (msg: string) => void;
}

export class PostgresStorage implements Storage {
  readonly kind = 'postgres';
  readonly usesSnapshots = true;
  readonly #pool: pg.Pool;
  #closed = false;
  /** Stores waiting for the next batch, by document, in arrival order. */
  readonly #queued = new Map<string, QueuedStore>();
  #batchTimer: NodeJS.Timeout | undefined;
  /** When #batchTimer fires (performance.now()). */
  #batchDue = Infinity;
  /** Queued documents with a store a caller waits on. */
  #awaitedQueued = 0;
  #merges = 0;
  /** The batches being written, while they are. */
  #batches: Promise<void> | undefined;

  readonly #backgroundWindowMs: number;

  private constructor(pool: pg.Pool, backgroundWindowMs: number) {
    this.#pool = pool;
    this.#backgroundWindowMs = backgroundWindowMs;
  }

  /** Connects and creates the schema if needed (safe to run from several processes at once). */
  static async connect(url: string, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const log = options.log ?? ((m: string) => console.error(m));
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    // An idle client losing its connection (database restart) must not crash the process: the
    // pool drops that client and the next query opens a new one.
    pool.on('error', (error) => log(`postgres: idle connection lost: ${error.message}`));
    try {
      await inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
        await client.query(MIGRATIONS_TABLE_SQL);
        const { rows } = await client.query<{ id: number }>('SELECT id FROM schema_migrations');
        const pending = pendingMigrations(
          rows.map((r) => Number(r.id)),
          `the PostgreSQL database ${describeDatabase(url)}`,
        );
        for (const m of pending) {
          await client.query(m.postgres);
          await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
            m.id,
            Date.now(),
          ]);
        }
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStorage(pool, options.backgroundWindowMs ?? STORE_BACKGROUND_WINDOW_MS);
  }

  /**
   * How many stores were merged by building a document: the stored state held something the new one
   * did not, or one of them had no snapshot (a store that holds the stored state is written as it is).
   */
  get merges(): number {
    return this.#merges;
  }

  async fetchDocument(name: string) {
    const { rows } = await this.#pool.query<{ state: Buffer }>(
      'SELECT state FROM documents WHERE name = $1 AND deleted_at IS NULL',
      [name],
    );
    return rows[0] ? new Uint8Array(rows[0].state) : null;
  }

  /**
   * Merges `state` into what is stored, so a concurrent store by another process is never overwritten.
   * Resolves once committed. Stores are gathered and written together (#storeBatch): a store a caller
   * waits on for STORE_BATCH_WINDOW_MS, a background one for the background window; two stores of
   * one document in a batch are merged first.
   */
  storeDocument(name: string, state: Uint8Array, options: StoreOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('storage closed'));
    const awaited = !options.background;
    return new Promise((resolve, reject) => {
      let queued = this.#queued.get(name);
      if (queued) {
        queued.states.push(state);
        queued.snapshots.push(options.snapshot);
        queued.waiters.push({ resolve, reject });
      } else {
        queued = {
          states: [state],
          snapshots: [options.snapshot],
          waiters: [{ resolve, reject }],
          since: performance.now(),
          awaited: false,
        };
        this.#queued.set(name, queued);
      }
      if (awaited && !queued.awaited) {
        queued.awaited = true;
        this.#awaitedQueued++;
      }
      this.#scheduleBatch();
    });
  }

  expedite(name: string): void {
    const queued = this.#queued.get(name);
    if (!queued || queued.awaited) return; // not queued: already being written, or done
    queued.awaited = true;
    this.#awaitedQueued++;
    this.#scheduleBatch();
  }

  /** When the oldest queued store has waited its background window (Infinity with none queued). */
  #oldestDue(): number {
    const oldest = this.#queued.values().next().value;
    return oldest ? oldest.since + this.#backgroundWindowMs : Infinity;
  }

  /** A store a caller waits on is queued, or a batch is full: no reason to wait for more. */
  #urgent(): boolean {
    return this.#awaitedQueued > 0 || this.#queued.size >= MAX_STORE_BATCH_DOCUMENTS;
  }

  /**
   * After a batch, whether the next goes at once: a store that came meanwhile is urgent, the oldest
   * has waited its window, or the storage is closing.
   */
  #writeNow(): boolean {
    return this.#closed || this.#urgent() || this.#oldestDue() <= performance.now();
  }

  #scheduleBatch(): void {
    // While batches are written, the loop writes what is due and schedules the rest when it ends.
    if (this.#batches || this.#closed || this.#queued.size === 0) return;
    // Soon for an urgent store (others arriving within STORE_BATCH_WINDOW_MS join it), else once the
    // oldest background store has waited its window.
    const due = this.#urgent() ? performance.now() + STORE_BATCH_WINDOW_MS : this.#oldestDue();
    if (this.#batchTimer && this.#batchDue <= due) return;
    clearTimeout(this.#batchTimer);
    this.#batchDue = due;
    this.#batchTimer = setTimeout(
      () => {
        this.#batchTimer = undefined;
        this.#batchDue = Infinity;
        void this.#startBatches();
      },
      Math.max(0, due - performance.now()),
    );
  }

  /**
   * The batches being written, started if none are. A store can arrive after the loop's last look at
   * its queue and before it is marked done (a few microtask turns): scheduled then, not left waiting.
   */
  #startBatches(): Promise<void> {
    this.#batches ??= this.#runBatches().finally(() => {
      this.#batches = undefined;
      if (this.#queued.size > 0) this.#scheduleBatch();
    });
    return this.#batches;
  }

  /**
   * One batch at a time. The first is written as started (its time came, or the storage closes);
   * stores that arrive meanwhile form the next at once if one is awaited or a batch is full, and wait
   * out their window otherwise.
   */
  async #runBatches(): Promise<void> {
    for (let first = true; this.#queued.size > 0; first = false) {
      if (!first && !this.#writeNow()) return;
      const batch: [string, QueuedStore][] = [];
      let bytes = 0;
      for (const [name, queued] of this.#queued) {
        const size = queued.states.reduce((n, s) => n + s.byteLength, 0);
        if (
          batch.length > 0 &&
          (batch.length >= MAX_STORE_BATCH_DOCUMENTS || bytes + size > MAX_STORE_BATCH_BYTES)
        )
          break;
        batch.push([name, queued]);
        bytes += size;
      }
      for (const [name, queued] of batch) {
        this.#queued.delete(name);
        if (queued.awaited) this.#awaitedQueued--;
      }
      await this.#storeBatch(batch);
    }
  }

  /**
   * Writes a batch in one transaction. One statement first takes every row's lock in name order: it
   * inserts the documents not stored yet (empty, their state follows) and locks the stored ones —
   * so two processes' batches, or a batch and a deletion (deleteDocuments, the same one statement),
   * never wait for each other in a cycle — then their state is read. Then the stored states are
   * merged and the changed and new ones updated in one statement. A tombstone (deleted by any
   * process, before this lock or while this waited on it) is never written. A document whose merge
   * fails (a corrupt stored state) fails alone.
   */
  async #storeBatch(batch: [string, QueuedStore][]): Promise<void> {
    batch.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const names = batch.map(([name]) => name);
    const incoming = new Map(
      batch.map(([name, q]) => [name, q.states.length === 1 ? q.states[0]! : Y.mergeUpdates(q.states)]),
    );
    // A snapshot only for a single state: what several merged hold is not known without a document.
    const snapshots = new Map(
      batch.map(([name, q]) => [name, q.states.length === 1 ? q.snapshots[0] : undefined]),
    );
    const failed = new Map<string, Error>();
    const write = inTransaction(this.#pool, async (client) => {
      // The rows' locks in one pass, in name order, writing nothing for a stored row (a false WHERE
      // still locks it): only the documents inserted (empty) come back.
      const inserted = new Set(
        (
          await client.query<{ name: string }>(
            "INSERT INTO documents (name, state, updated_at) SELECT n, '\\x'::bytea, $2 FROM unnest($1::text[]) AS u(n) ORDER BY n ON CONFLICT (name) DO UPDATE SET updated_at = documents.updated_at WHERE false RETURNING name",
            [names, Date.now()],
          )
        ).rows.map((r) => r.name),
      );
      const existing = names.filter((n) => !inserted.has(n));
      // Each stored state's snapshot first: where the new state holds it, the stored state itself is
      // neither read (a 2.4 MB workspace is 4.8 MB of hex text to parse) nor merged.
      const { rows } = existing.length
        ? await client.query<{ name: string; covers: Buffer | null; deleted_at: string | null }>(
            'SELECT name, covers, deleted_at FROM documents WHERE name = ANY($1::text[])',
            [existing],
          )
        : { rows: [] };
      const updates: { name: string; state: Buffer; covers: Buffer | null }[] = [];
      const coversOf = (snapshot: Y.Snapshot | undefined) =>
        snapshot ? toBuffer(Y.encodeSnapshot(snapshot)) : null;
      for (const name of inserted)
        updates.push({ name, state: toBuffer(incoming.get(name)!), covers: coversOf(snapshots.get(name)) });
      const toMerge: string[] = [];
      const uncovered = new Set<string>();
      for (const row of rows) {
        if (row.deleted_at !== null) continue;
        const snapshot = snapshots.get(row.name);
        const storedSnapshot = row.covers ? readSnapshot(row.covers) : null;
        if (!storedSnapshot) uncovered.add(row.name);
        if (snapshot && storedSnapshot && snapshotHolds(snapshot, storedSnapshot)) {
          // Every item and deletion of the stored state is in the new one: the merge would be it.
          // Written unless the stored state holds the new one too (the same content).
          if (!snapshotHolds(storedSnapshot, snapshot))
            updates.push({
              name: row.name,
              state: toBuffer(incoming.get(row.name)!),
              covers: coversOf(snapshot),
            });
          continue;
        }
        toMerge.push(row.name);
      }
      const { rows: stored } = toMerge.length
        ? await client.query<{ name: string; state: Buffer }>(
            'SELECT name, state FROM documents WHERE name = ANY($1::text[])',
            [toMerge],
          )
        : { rows: [] };
      for (const row of stored) {
        const state = incoming.get(row.name)!;
        const snapshot = snapshots.get(row.name);
        const before = new Uint8Array(row.state);
        try {
          if (sameBytes(before, state)) {
            if (snapshot && uncovered.has(row.name))
              updates.push({ name: row.name, state: row.state, covers: coversOf(snapshot) });
            continue;
          }
          this.#merges++;
          const merged = mergeStates(row.name, before, state);
          if (!sameBytes(before, merged.state) || uncovered.has(row.name))
            updates.push({
              name: row.name,
              state: toBuffer(merged.state),
              covers: coversOf(merged.snapshot),
            });
        } catch (error) {
          failed.set(row.name, new Error(`storing ${row.name}: ${String(error)}`));
        }
      }
      if (updates.length > 0)
        await client.query(
          'UPDATE documents AS d SET state = u.s, covers = u.c, updated_at = $4 FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS u(n, s, c) WHERE d.name = u.n',
          [updates.map((u) => u.name), updates.map((u) => u.state), updates.map((u) => u.covers), Date.now()],
        );
    });
    try {
      await write;
    } catch (error) {
      for (const [, q] of batch) for (const w of q.waiters) w.reject(error);
      return;
    }
    for (const [name, q] of batch) {
      const error = failed.get(name);
      for (const w of q.waiters)
        if (error) w.reject(error);
        else w.resolve();
    }
  }

  /** octet_length reads a stored value's size without decompressing it; starts_with ignores collation. */
  /**
   * All prefixes in one statement, each a range in byte order that the `documents_name_bytes` index
   * (migration 3) serves under any database collation: names are ASCII ([S1]), so every name starting
   * with prefix sorts below prefix + U+FFFF. (`starts_with` used the primary key only in a C-collated
   * database, and could not at all with the prefix coming from a list.)
   */
  async documentUsage(prefixes: readonly string[]) {
    if (prefixes.length === 0) return [];
    const { rows } = await this.#pool.query<{ i: string; n: string; bytes: string }>(USAGE_SQL, [
      prefixes,
      prefixes.map((p) => p + '\uffff'),
    ]);
    const usage = prefixes.map(() => ({ documents: 0, bytes: 0 }));
    for (const r of rows) usage[Number(r.i) - 1] = { documents: Number(r.n), bytes: Number(r.bytes) };
    return usage;
  }

  async listDocuments(prefix: string) {
    const { rows } = await this.#pool.query<{ name: string }>(
      'SELECT name FROM documents WHERE name COLLATE "C" >= $1 AND name COLLATE "C" < $2 AND deleted_at IS NULL ORDER BY name COLLATE "C"',
      [prefix, prefix + '\uffff'],
    );
    return rows.map((r) => r.name);
  }

  /**
   * Each name becomes a tombstone for DOCUMENT_TOMBSTONE_MS, in one statement that takes the rows'
   * locks in name order as a store batch does (so neither waits for the other in a cycle): a batch
   * holding a row's lock finishes first and its state is then dropped; one that comes after finds
   * the tombstone. Then expired tombstones go, a bounded number at a time, best effort.
   */
  async deleteDocuments(names: readonly string[]) {
    if (names.length === 0) return 0;
    const sorted = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const now = Date.now();
    // `replaced`: a stored document (an update), not a name inserted as a tombstone.
    const { rows } = await this.#pool.query<{ replaced: boolean }>(
      "INSERT INTO documents (name, state, updated_at, deleted_at) SELECT n, '\\x'::bytea, $2, $2 FROM unnest($1::text[]) AS u(n) ORDER BY n ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at WHERE documents.deleted_at IS NULL RETURNING (xmax <> 0) AS replaced",
      [sorted, now],
    );
    await this.#pool
      .query(
        'DELETE FROM documents AS d USING (SELECT name FROM documents WHERE deleted_at < $1 ORDER BY name LIMIT $2 FOR UPDATE SKIP LOCKED) AS e WHERE d.name = e.name',
        [now - DOCUMENT_TOMBSTONE_MS, Math.max(TOMBSTONE_PRUNE_BATCH, 2 * sorted.length)],
      )
      .catch(() => {}); // the next deletion prunes again
    return rows.filter((r) => r.replaced).length;
  }

  async liveTokenHashes(tokenHashes: readonly string[], now: number) {
    if (tokenHashes.length === 0) return new Set<string>();
    const { rows } = await this.#pool.query<{ h: string }>(
      `SELECT token_hash AS h FROM sessions WHERE token_hash = ANY($1::text[]) AND expires_at > $2
       UNION SELECT token_hash FROM vibers WHERE token_hash = ANY($1::text[]) AND revoked_at IS NULL`,
      [[...tokenHashes], now],
    );
    return new Set(rows.map((r) => r.h));
  }

  async createUser(user: UserRow) {
    const r = await this.#pool.query(
      'INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [user.id, user.username, user.passwordHash, user.createdAt],
    );
    return r.rowCount === 1;
  }

  async findUserByUsername(username: string) {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM users WHERE lower(username) = lower($1)', [
      username,
    ]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async getSigningKey(userId: string) {
    const { rows } = await this.#pool.query<Row>('SELECT signing_key FROM users WHERE id = $1', [userId]);
    return typeof rows[0]?.signing_key === 'string' ? rows[0].signing_key : null;
  }

  async setSigningKey(userId: string, publicKey: string, expected: string | null) {
    const r = await this.#pool.query(
      'UPDATE users SET signing_key = $2 WHERE id = $1 AND signing_key IS NOT DISTINCT FROM $3',
      [userId, publicKey, expected],
    );
    return r.rowCount === 1;
  }

  async findUserById(id: string) {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async createSession(tokenHash: string, userId: string, expiresAt: number, bound: SessionBound) {
    await this.#pool.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      tokenHash,
      userId,
      expiresAt,
    ]);
    await this.#pool.query(
      `DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR token_hash NOT IN
        (SELECT token_hash FROM sessions WHERE user_id = $1 ORDER BY expires_at DESC, token_hash LIMIT $3))`,
      [userId, bound.now, bound.keep],
    );
  }

  async findSession(tokenHash: string, now: number) {
    const { rows } = await this.#pool.query<Row>(
      'SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2',
      [tokenHash, now],
    );
    return rows[0] ? { userId: rows[0].user_id as string } : null;
  }

  async deleteSession(tokenHash: string) {
    await this.#pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }

  async createOnboardingToken(tokenHash: string, userId: string, expiresAt: number, bound: SessionBound) {
    await this.#pool.query(
      'INSERT INTO onboarding_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)',
      [tokenHash, userId, expiresAt],
    );
    await this.#pool.query(
      `DELETE FROM onboarding_tokens WHERE user_id = $1 AND (expires_at <= $2 OR token_hash NOT IN
        (SELECT token_hash FROM onboarding_tokens WHERE user_id = $1 ORDER BY expires_at DESC, token_hash LIMIT $3))`,
      [userId, bound.now, bound.keep],
    );
  }

  /** One UPDATE … RETURNING: a concurrent second call waits on the row lock, then sees it used. */
  async consumeOnboardingToken(tokenHash: string, now: number): Promise<ConsumeResult> {
    const used = await this.#pool.query<Row>(
      'UPDATE onboarding_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id',
      [tokenHash, now],
    );
    if (used.rows[0]) return { ok: true, userId: used.rows[0].user_id as string };
    const { rows } = await this.#pool.query<Row>(
      'SELECT used_at FROM onboarding_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    if (!rows[0]) return { ok: false, reason: 'unknown' };
    return { ok: false, reason: rows[0].used_at !== null ? 'used' : 'expired' };
  }

  async createViber(c: ViberCredential, tokenHash: string) {
    await this.#pool.query(
      'INSERT INTO vibers (id, user_id, name, public_key, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.viberId, c.userId, c.name, c.publicKey, tokenHash, c.createdAt, c.lastSeenAt],
    );
  }

  async findViberByToken(tokenHash: string) {
    const { rows } = await this.#pool.query<Row>(
      'SELECT * FROM vibers WHERE token_hash = $1 AND revoked_at IS NULL',
      [tokenHash],
    );
    return rows[0] ? toViber(rows[0]) : null;
  }

  async listVibers(userId: string) {
    const { rows } = await this.#pool.query<Row>(
      'SELECT * FROM vibers WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id',
      [userId],
    );
    return rows.map(toViber);
  }

  async revokeViber(userId: string, viberId: string) {
    const r = await this.#pool.query(
      'DELETE FROM vibers WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [viberId, userId],
    );
    return r.rowCount === 1;
  }

  async touchViber(viberId: string, at: number) {
    await this.#pool.query('UPDATE vibers SET last_seen_at = $2 WHERE id = $1', [viberId, at]);
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    // Stores already accepted are written first.
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    this.#batchDue = Infinity;
    while (this.#batches || this.#queued.size > 0) await this.#startBatches();
    await this.#pool.end();
  }
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // [P2] The pool listens for errors only on idle clients: a connection lost while checked out would
  // emit 'error' with no listener and crash the process. The query in flight fails on its own.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is discarded rather than returned to the pool.
    await client
      .query('ROLLBACK')
      .catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
