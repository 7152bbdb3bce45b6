// Versioned schema changes after the base schema, for both backends. Each runs once, in id order,
// and is recorded in `schema_migrations`; add new ones at the end and never edit an applied one.

export interface Migration {
  id: number;
  /** Why the schema changed, in one line. */
  description: string;
  sqlite: string;
  postgres: string;
}

export const migrations: Migration[] = [
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
