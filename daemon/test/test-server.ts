// One real sync server per test file (port 0, its own data dir), stopped after the file.
import { afterAll } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../sync-server/testing/spawn-server.ts';

export async function useServer(env?: Record<string, string>): Promise<SpawnedServer> {
  const server = await spawnServer(env ? { env } : {});
  afterAll(() => server.dispose());
  return server;
}
