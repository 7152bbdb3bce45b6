// The storage acceptance suite on the embedded SQLite file, each test on its own fresh file.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStorage } from './sqlite-storage.ts';
import { storageAcceptance } from './storage.acceptance.ts';
import type { Storage } from './storage.ts';

storageAcceptance(
  'SQLite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openviber-sqlite-'));
    const file = join(dir, 'nested', 'openviber.sqlite');
    const opened: Storage[] = [];
    return {
      async open() {
        const storage = new SqliteStorage(file);
        opened.push(storage);
        return storage;
      },
      async dispose() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
      async appliedMigrations() {
        const db = new DatabaseSync(file);
        try {
          return db
            .prepare('SELECT id FROM schema_migrations ORDER BY id')
            .all()
            .map((r) => Number(r.id));
        } finally {
          db.close();
        }
      },
      async exec(sql) {
        mkdirSync(dirname(file), { recursive: true });
        const db = new DatabaseSync(file);
        try {
          db.exec(sql.sqlite);
        } finally {
          db.close();
        }
      },
    };
  },
  { sharedByProcesses: false },
);
