// [M1] The real server refuses to start on a database a newer server migrated, and says why.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer | undefined;
afterAll(async () => {
  await server?.dispose();
});

describe('[M1] a database newer than the server', () => {
  it('is refused at start with the database and the unknown migration ids, exit 1, no stack trace', async () => {
    server = await spawnServer();
    const signup = await fetch(`${server.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery' }),
    });
    expect(signup.status).toBe(201);
    await server.stop();
    const file = join(server.dataDir, 'openviber.sqlite');
    const db = new DatabaseSync(file);
    db.exec(`INSERT INTO schema_migrations (id, applied_at) VALUES (999, ${Date.now()})`);
    db.close();

    const refused = await server.restart().then(
      () => null,
      (error: unknown) => (error as Error).message,
    );
    expect(refused).toContain('exited with 1 before listening');
    expect(refused).toContain(
      `cannot start: the SQLite database ${file} was migrated by a newer OpenViber server`,
    );
    expect(refused).toContain('migrations 999 are unknown');
    expect(refused).not.toMatch(/\n\s+at /);
  });
});
