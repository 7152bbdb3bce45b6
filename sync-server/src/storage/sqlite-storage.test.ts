// The storage acceptance suite on the embedded SQLite file, each test on its own fresh file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from './sqlite-storage.ts';
import { storageAcceptance } from './storage.acceptance.ts';
import type { Storage } from './storage.ts';

storageAcceptance(
  'SQLite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openviber-sqlite-'));
    const opened: Storage[] = [];
    return {
      async open() {
        const storage = new SqliteStorage(join(dir, 'nested', 'openviber.sqlite'));
        opened.push(storage);
        return storage;
      },
      async dispose() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { sharedByProcesses: false },
);
