// Storage on one embedded SQLite file (node:sqlite, no native modules), WAL mode so a kill -9 loses
// at most the write in flight and never corrupts what was stored.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ConsumeResult, SessionBound, Storage, UserRow, ViberCredential } from './storage.ts';
import { toUser, toViber } from './rows.ts';
import { MIGRATIONS_TABLE_SQL, pendingMigrations } from './migrations.ts';
import { DOCUMENT_TOMBSTONE_MS, TOMBSTONE_PRUNE_BATCH } from '../limits.ts';

export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;

  constructor(file: string) {
    // Accounts, token hashes and documents: readable by this user only. SQLite creates the -wal and
    // -shm files with the database file's mode, so creating that one 0600 covers all three.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    try {
      this.#migrate(file);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /**
   * Refuses a database migrated by newer code (before touching it), then applies the migrations not
   * yet recorded (the base schema first), each in its own transaction with its record.
   */
  #migrate(file: string) {
    this.#db.exec(MIGRATIONS_TABLE_SQL);
    const applied = this.#db
      .prepare('SELECT id FROM schema_migrations')
      .all()
      .map((r) => Number(r.id));
    const pending = pendingMigrations(applied, `the SQLite database ${file}`);
    for (const m of pending) {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        this.#db.exec(m.sqlite);
        this.#db
          .prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)')
          .run(m.id, Date.now());
        this.#db.exec('COMMIT');
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw new Error(`storage migration ${m.id} (${m.description}) failed`, { cause: error });
      }
    }
  }

  async fetchDocument(name: string) {
    const row = this.#db
      .prepare('SELECT state FROM documents WHERE name = ? AND deleted_at IS NULL')
      .get(name);
    return row ? new Uint8Array(row.state as Uint8Array) : null;
  }

  async storeDocument(name: string, state: Uint8Array) {
    this.#db
      .prepare(
        // A tombstone stays one: a deleted document is never stored again.
        'INSERT INTO documents (name, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at WHERE documents.deleted_at IS NULL',
      )
      .run(name, state, Date.now());
  }

  /** A range on the primary key per prefix: names are ASCII ([S1]), so every name starting with prefix sorts below prefix + U+FFFF. */
  async documentUsage(prefixes: readonly string[]) {
    const usage = this.#db.prepare(
      // Tombstones count as documents (their state is empty: no bytes) until they go ([D7]).
      'SELECT count(*) AS n, coalesce(sum(length(state)), 0) AS bytes FROM documents WHERE name >= ? AND name < ?',
    );
    return prefixes.map((prefix) => {
      const row = usage.get(prefix, prefix + '\uffff');
      return { documents: Number(row?.n ?? 0), bytes: Number(row?.bytes ?? 0) };
    });
  }

  async listDocuments(prefix: string) {
    const rows = this.#db
      .prepare('SELECT name FROM documents WHERE name >= ? AND name < ? AND deleted_at IS NULL ORDER BY name')
      .all(prefix, prefix + '\uffff');
    return rows.map((r) => String(r.name));
  }

  /** Each name becomes a tombstone (stored or not) for DOCUMENT_TOMBSTONE_MS; older tombstones go. */
  async deleteDocuments(names: readonly string[]) {
    if (names.length === 0) return 0;
    const now = Date.now();
    const remove = this.#db.prepare(
      "UPDATE documents SET state = X'', deleted_at = ? WHERE name = ? AND deleted_at IS NULL",
    );
    const mark = this.#db.prepare(
      "INSERT INTO documents (name, state, updated_at, deleted_at) VALUES (?, X'', ?, ?) ON CONFLICT(name) DO NOTHING",
    );
    let removed = 0;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const name of names) {
        removed += Number(remove.run(now, name).changes);
        mark.run(name, now, now);
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    // Expired tombstones, a bounded number at a time (one statement holds the event loop).
    this.#db
      .prepare(
        'DELETE FROM documents WHERE name IN (SELECT name FROM documents WHERE deleted_at < ? LIMIT ?)',
      )
      .run(now - DOCUMENT_TOMBSTONE_MS, Math.max(TOMBSTONE_PRUNE_BATCH, 2 * names.length));
    return removed;
  }

  async createUser(user: UserRow) {
    const r = this.#db
      .prepare(
        'INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(user.id, user.username, user.passwordHash, user.createdAt);
    return r.changes === 1;
  }

  async findUserByUsername(username: string) {
    const row = this.#db.prepare('SELECT * FROM users WHERE lower(username) = lower(?)').get(username);
    return row ? toUser(row) : null;
  }

  async getSigningKey(userId: string) {
    const row = this.#db.prepare('SELECT signing_key FROM users WHERE id = ?').get(userId);
    return typeof row?.signing_key === 'string' ? row.signing_key : null;
  }

  async setSigningKey(userId: string, publicKey: string, expected: string | null) {
    const r = this.#db
      .prepare('UPDATE users SET signing_key = ? WHERE id = ? AND signing_key IS ?')
      .run(publicKey, userId, expected);
    return r.changes === 1;
  }

  async findUserById(id: string) {
    const row = this.#db.prepare('SELECT * FROM users WHERE id = ?').get(id);
    return row ? toUser(row) : null;
  }

  async createSession(tokenHash: string, userId: string, expiresAt: number, bound: SessionBound) {
    this.#db
      .prepare('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)')
      .run(tokenHash, userId, expiresAt);
    this.#db
      .prepare(
        `DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR token_hash NOT IN
          (SELECT token_hash FROM sessions WHERE user_id = ? ORDER BY expires_at DESC, token_hash LIMIT ?))`,
      )
      .run(userId, bound.now, userId, bound.keep);
  }

  async findSession(tokenHash: string, now: number) {
    const row = this.#db
      .prepare('SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?')
      .get(tokenHash, now);
    return row ? { userId: row.user_id as string } : null;
  }

  /** 500 tokens a statement: a server holding 9,000 sockets asks a few times a minute, not 18,000. */
  async liveTokenHashes(tokenHashes: readonly string[], now: number) {
    const live = new Set<string>();
    for (let i = 0; i < tokenHashes.length; i += 500) {
      const chunk = tokenHashes.slice(i, i + 500);
      const marks = chunk.map(() => '?').join(',');
      const rows = this.#db
        .prepare(
          `SELECT token_hash FROM sessions WHERE expires_at > ? AND token_hash IN (${marks})
           UNION SELECT token_hash FROM vibers WHERE revoked_at IS NULL AND token_hash IN (${marks})`,
        )
        .all(now, ...chunk, ...chunk);
      for (const row of rows) live.add(String(row.token_hash));
    }
    return live;
  }

  async deleteSession(tokenHash: string) {
    this.#db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  async createOnboardingToken(tokenHash: string, userId: string, expiresAt: number, bound: SessionBound) {
    this.#db
      .prepare('INSERT INTO onboarding_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)')
      .run(tokenHash, userId, expiresAt);
    this.#db
      .prepare(
        `DELETE FROM onboarding_tokens WHERE user_id = ? AND (expires_at <= ? OR token_hash NOT IN
          (SELECT token_hash FROM onboarding_tokens WHERE user_id = ? ORDER BY expires_at DESC, token_hash LIMIT ?))`,
      )
      .run(userId, bound.now, userId, bound.keep);
  }

  async consumeOnboardingToken(tokenHash: string, now: number): Promise<ConsumeResult> {
    const used = this.#db
      .prepare(
        'UPDATE onboarding_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id',
      )
      .get(now, tokenHash, now);
    if (used) return { ok: true, userId: used.user_id as string };
    const row = this.#db
      .prepare('SELECT used_at, expires_at FROM onboarding_tokens WHERE token_hash = ?')
      .get(tokenHash);
    if (!row) return { ok: false, reason: 'unknown' };
    return { ok: false, reason: row.used_at !== null ? 'used' : 'expired' };
  }

  async createViber(c: ViberCredential, tokenHash: string) {
    this.#db
      .prepare(
        'INSERT INTO vibers (id, user_id, name, public_key, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(c.viberId, c.userId, c.name, c.publicKey, tokenHash, c.createdAt, c.lastSeenAt);
  }

  async findViberByToken(tokenHash: string) {
    const row = this.#db
      .prepare('SELECT * FROM vibers WHERE token_hash = ? AND revoked_at IS NULL')
      .get(tokenHash);
    return row ? toViber(row) : null;
  }

  async listVibers(userId: string) {
    return this.#db
      .prepare('SELECT * FROM vibers WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at')
      .all(userId)
      .map(toViber);
  }

  async revokeViber(userId: string, viberId: string) {
    const r = this.#db
      .prepare('DELETE FROM vibers WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
      .run(viberId, userId);
    return r.changes === 1;
  }

  async touchViber(viberId: string, at: number) {
    this.#db.prepare('UPDATE vibers SET last_seen_at = ? WHERE id = ?').run(at, viberId);
  }

  async close() {
    if (this.#db.isOpen) this.#db.close();
  }
}
