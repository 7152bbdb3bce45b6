// The storage acceptance suite on a real PostgreSQL (started by the test, one fresh schema per
// test), plus what only a database shared by several processes needs.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../../testing/pg-redis.ts';
import { PostgresStorage } from './postgres-storage.ts';
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
    async open() {
      const storage = await PostgresStorage.connect(url);
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

storageAcceptance('PostgreSQL', harness, { sharedByProcesses: true });

describe('PostgresStorage', () => {
  it('creates its schema once when several processes connect to a fresh database at once', async () => {
    const h = await harness();
    try {
      const storages = await Promise.all(Array.from({ length: 6 }, () => h.open()));
      await storages[0]!.createSession('hash', 'usr_a', Date.now() + 60_000);
      for (const s of storages) expect(await s.findSession('hash', Date.now())).toEqual({ userId: 'usr_a' });
      // And again on an existing schema (a restart).
      const again = await h.open();
      expect(await again.findSession('hash', Date.now())).toEqual({ userId: 'usr_a' });
    } finally {
      await h.dispose();
    }
  });

  it('fails with the database error when it cannot connect', async () => {
    await expect(
      PostgresStorage.connect(`postgres://postgres@127.0.0.1:${postgres.port}/no_such_database`),
    ).rejects.toThrow(/does not exist/);
  });
});
