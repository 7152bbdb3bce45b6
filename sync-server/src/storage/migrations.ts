// The storage schema of both backends as one numbered list: a fresh database and an old one go
// through the same path. Each migration runs once, in id order, in the transaction that records it in
// `schema_migrations`; add new ones at the end and never edit an applied one.

export interface Migration {
  id: number;
  /** Why the schema changed, in one line. */
  description: string;
  sqlite: string;
  postgres: string;
}

/**
 * The tables every later migration builds on. Id 0 because 1 and 2 were recorded in databases before
 * the base schema joined the list. `IF NOT EXISTS` only for databases of the releases before
 * migrations (2c858b5), which hold these tables without a record: there it creates nothing.
 * Timestamps are epoch milliseconds: INTEGER in SQLite (64-bit), BIGINT in PostgreSQL (pg returns
 * them as strings; rows.ts converts); only PostgreSQL serves several processes that list a user's
 * Vibers often enough to want the index.
 */
const BASE_SCHEMA: Migration = {
  id: 0,
  description: 'the base tables: documents, users, sessions, onboarding tokens, Vibers',
  sqlite: `
CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, state BLOB NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS onboarding_tokens (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS vibers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER);`,
  postgres: `
CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, state BYTEA NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS onboarding_tokens (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
CREATE TABLE IF NOT EXISTS vibers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT);
CREATE INDEX IF NOT EXISTS vibers_user_id ON vibers (user_id);`,
};

export const migrations: Migration[] = [
  BASE_SCHEMA,
  {
    id: 1,
    // Fails (and the server does not start) if two names differing only in case already exist:
    // rename one by hand first. User names are ASCII, so lower() agrees in both databases.
    description: 'user names are unique case-insensitively (Alice and alice are one name)',
    sqlite: 'CREATE UNIQUE INDEX users_username_folded ON users (lower(username));',
    postgres: 'CREATE UNIQUE INDEX users_username_folded ON users (lower(username));',
  },
  {
    id: 2,
    description: "the user's Ed25519 signing public key (signed intent, [T7]); null until a device sets it",
    sqlite: 'ALTER TABLE users ADD COLUMN signing_key TEXT;',
    postgres: 'ALTER TABLE users ADD COLUMN signing_key TEXT;',
  },
  {
    id: 3,
    // A user's documents are the names under `u/<uid>/`: PostgreSQL finds them by a byte-order range,
    // which the primary key serves only in a database whose collation is C (under en_US.UTF-8 and
    // the like, each usage query and listing read the whole table). SQLite compares TEXT bytewise
    // already, so its primary key serves the range: nothing to add there. Built once at start, in
    // the migration's transaction: writes to documents wait while it builds (about a second per
    // 100,000 documents; CONCURRENTLY cannot run inside a transaction).
    description: "an index of document names in byte order, for a user's documents under any collation",
    sqlite: 'SELECT 1;',
    postgres: 'CREATE INDEX documents_name_bytes ON documents (name COLLATE "C");',
  },
  {
    id: 4,
    // Each new session and onboarding token drops its user's expired ones and the oldest past a
    // count (limits.ts): found by user, not by a scan of every user's rows.
    description: "indexes of sessions and onboarding tokens by user, to bound each user's",
    sqlite:
      'CREATE INDEX sessions_user_id ON sessions (user_id); CREATE INDEX onboarding_tokens_user_id ON onboarding_tokens (user_id);',
    postgres:
      'CREATE INDEX sessions_user_id ON sessions (user_id); CREATE INDEX onboarding_tokens_user_id ON onboarding_tokens (user_id);',
  },
  {
    id: 5,
    // [D7] A deleted document keeps its row, without state, for DOCUMENT_TOMBSTONE_MS: a store takes
    // the row's lock (or waits on its insert), so with several processes a store already in flight
    // when another process deleted the document, or made by one that has not heard of the deletion,
    // finds the tombstone and writes nothing. Every reader skips tombstones.
    description: 'deleted documents leave a tombstone row (deleted_at) that stores cannot bring back',
    sqlite:
      'ALTER TABLE documents ADD COLUMN deleted_at INTEGER; CREATE INDEX documents_deleted_at ON documents (deleted_at) WHERE deleted_at IS NOT NULL;',
    postgres:
      'ALTER TABLE documents ADD COLUMN deleted_at BIGINT; CREATE INDEX documents_deleted_at ON documents (deleted_at) WHERE deleted_at IS NOT NULL;',
  },
  {
    id: 6,
    // PostgreSQL merges each store into the stored state (postgres-storage.ts); with the stored
    // state's snapshot beside it, a store that already holds it all is written without building a
    // Y.Doc (150-200 ms for a 2.4 MB workspace, on the event loop). A write of `state` that leaves
    // `covers` as it was — a process of an older version, still running during an upgrade — clears
    // it, so a stale snapshot never stands for a state it does not describe. SQLite stores whole
    // states from one process and merges nothing.
    description: "the Yjs snapshot of each stored document's state, so a store that holds it skips the merge",
    sqlite: 'SELECT 1;',
    postgres: `
ALTER TABLE documents ADD COLUMN covers BYTEA;
CREATE FUNCTION documents_covers_follow_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state AND NEW.covers IS NOT DISTINCT FROM OLD.covers THEN
    NEW.covers := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER documents_covers_follow_state BEFORE UPDATE ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_covers_follow_state();`,
  },
];

export const MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);';

/** The database was migrated by newer code than this: running on it could corrupt what that code stored. */
export class DatabaseNewerThanCodeError extends Error {
  readonly code = 'database_newer_than_code';
  readonly unknownIds: number[];
  constructor(database: string, unknownIds: number[]) {
    const known = migrations.map((m) => m.id);
    super(
      `${database} was migrated by a newer OpenViber server (migrations ${unknownIds.join(', ')} are unknown to this ` +
        `version, which knows ${known.length ? known.join(', ') : 'none'}): run the newer server, or restore a backup ` +
        `taken before it`,
    );
    this.name = 'DatabaseNewerThanCodeError';
    this.unknownIds = unknownIds;
  }
}

/**
 * The migrations still to apply, given the ids recorded in `schema_migrations`; throws
 * DatabaseNewerThanCodeError (naming `database`) when a recorded id is one this code does not know.
 */
export function pendingMigrations(applied: Iterable<number>, database: string): Migration[] {
  const recorded = new Set(applied);
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...recorded].filter((id) => !known.has(id)).sort((a, b) => a - b);
  if (unknown.length) throw new DatabaseNewerThanCodeError(database, unknown);
  return migrations.filter((m) => !recorded.has(m.id)).sort((a, b) => a.id - b.id);
}
