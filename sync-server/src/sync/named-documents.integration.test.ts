// A loaded document draws no random uuid: Yjs makes one from 31 getRandomValues calls for every
// Y.Doc not given a guid (~50 µs each; 150 ms of a process's CPU as 3,000 users' documents load
// after a restart). The sync server names each document's guid after the document instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor } from '../../testing/peers.ts';
import { createApp } from '../app.ts';
import { readConfig } from '../config.ts';
import { SqliteStorage } from '../storage/sqlite-storage.ts';

describe('documents the sync server loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openviber-named-'));
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir }, join(dir, 'no-app'));
  const app = createApp({ config, storage: new SqliteStorage(join(dir, 'openviber.sqlite')), log: () => {} });
  const port = await app.listen();
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are named by their guid, whether a peer or the server opened them, and still sync', async () => {
    const user = await signup(`http://127.0.0.1:${port}`);
    const byPeer = `u/${user.userId}/workspace`;
    const byServer = `u/${user.userId}/task/tsk_named`;
    const peer = connectPeer(`ws://127.0.0.1:${port}/sync`, byPeer, user.token);
    try {
      await peer.synced;
      peer.doc.getMap('notes').set('a', 1);
      await waitFor(() => !peer.provider.hasUnsyncedChanges, 'the edit acknowledged');
      const direct = await app.hocuspocus.openDirectConnection(byServer, {});
      await direct.transact((doc) => doc.getMap('notes').set('b', 2));
      expect(app.hocuspocus.documents.get(byPeer)?.guid).toBe(byPeer);
      expect(app.hocuspocus.documents.get(byServer)?.guid).toBe(byServer);
      expect(app.hocuspocus.documents.get(byPeer)?.getMap('notes').get('a')).toBe(1);
      await direct.disconnect();
    } finally {
      peer.destroy();
    }
  });
});
