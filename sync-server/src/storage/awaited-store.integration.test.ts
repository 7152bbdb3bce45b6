// On PostgreSQL the debounced stores of live edits wait in a background batch (STORE_BACKGROUND_WINDOW_MS)
// to be written together; an API write, which answers only once its change is stored, must not wait
// for that window — not even when a background store of the same document holds the document's save
// lock. Here the background window is a minute: an API call that waited for it fails the test. A
// store waiting in the window is not stored yet: a Viber asking is told so ([V1]) and keeps its copy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listEnvironments, workspaceDocName } from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectPeer, signup, storeQuestions, waitFor, type Peer } from '../../testing/peers.ts';
import { startPostgres, storedDocument, type RunningPostgres } from '../../testing/pg-redis.ts';
import { createApp } from '../app.ts';
import { readConfig } from '../config.ts';
import { PostgresStorage } from './postgres-storage.ts';

let postgres: RunningPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

/** Rejects naming `what` if `promise` takes longer than `ms`. */
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms),
    ),
  ]);

describe('API writes on PostgreSQL', () => {
  it('[P2] answer without waiting for the background batch, even while a debounced store of the same document waits in it', async () => {
    const url = await postgres.createSchema();
    const storage = await PostgresStorage.connect(url, { backgroundWindowMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'openviber-awaited-'));
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir }, join(dir, 'no-app'));
    const app = createApp({ config, storage, log: () => {} });
    let peer: Peer | undefined;
    try {
      const port = await app.listen();
      const base = `http://127.0.0.1:${port}`;
      const user = await within(signup(base), 10_000, 'signup');
      const name = workspaceDocName(user.userId);
      const create = (envName: string) =>
        within(
          api(base, 'POST', '/api/environments', {
            token: user.token,
            body: { name: envName, type: 'manual', setupScript: 'true' },
          }),
          10_000,
          `POST /api/environments (${envName})`,
        );

      // Nothing queued: the API's own store is awaited, not a background one.
      expect((await create('first')).status).toBe(201);
      expect(listEnvironments((await storedDocument(url, name))!).map((e) => e.name)).toEqual(['first']);

      // A peer's edit: 2 s later its debounced store is queued for the (minute-long) window.
      peer = connectPeer(`ws://127.0.0.1:${port}/sync`, name, user.token);
      await peer.synced;
      const { ask } = storeQuestions(peer);
      peer.doc.getMap('app').set('edited', 'by the peer');
      await waitFor(() => !peer!.provider.hasUnsyncedChanges, 'the edit acknowledged');
      await new Promise((r) => setTimeout(r, 2_500));
      expect((await storedDocument(url, name))!.getMap('app').get('edited')).toBeUndefined();
      // [V1] Queued is not stored: a Viber asking now keeps its marker (a kill -9 in the window would
      // lose the process's copy, and the Viber's copy is then what re-sends the edit).
      expect(await ask([name])).toEqual([name]);

      // The API's store waits on the save lock that queued store holds: it is written now, and so
      // is the API's change.
      expect((await create('second')).status).toBe(201);
      const stored = (await storedDocument(url, name))!;
      expect(stored.getMap('app').get('edited')).toBe('by the peer');
      expect(await ask([name])).toEqual([]); // written: the marker may go
      expect(listEnvironments(stored).map((e) => e.name)).toEqual(['first', 'second']);
      // One process holds what it loaded and what it stored: no store had to build a document to merge
      // (the storage extension hands each state's snapshot to the storage).
      expect(storage.merges).toBe(0);
    } finally {
      peer?.destroy();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
