// Picks the storage backend: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file.
import { join } from 'node:path';
import type { ServerConfig } from '../config.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import type { Storage } from './storage.ts';

export async function createStorage(config: ServerConfig): Promise<Storage> {
  if (config.databaseUrl) {
    const { PostgresStorage } = await import('./postgres-storage.ts');
    return PostgresStorage.connect(config.databaseUrl);
  }
  return new SqliteStorage(join(config.dataDir, 'openviber.sqlite'));
}
