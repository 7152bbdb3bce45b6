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
];

export const MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);';
