// What the sync server holds per document and per peer, made cheap where thousands of them load:
// - A loaded document draws no random uuid: Yjs makes one from 31 getRandomValues calls for every
//   Y.Doc not given a guid (~50 µs each; 150 ms of a process's CPU as 3,000 users' documents load
//   after a restart). The sync server names each document's guid after the document instead.
// - Each peer's websocket is the `ws` socket itself, not the Proxy crossws wraps it in (a trap for
//   every property a send reads; socket-guard.ts, unproxied).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { types } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor } from '../../testing/peers.ts';
import { createApp } from '../app.ts';
import { readConfig } from '../config.ts';
import { SqliteStorage } from '../storage/sqlite-storage.ts';

describe('what the sync server holds for documents and peers', async () => {
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

  it("holds each peer's websocket without crossws's Proxy, and still sends to it and closes it", async () => {
    const user = await signup(`http://127.0.0.1:${port}`);
    const name = `u/${user.userId}/task/tsk_sockets`;
    const writer = connectPeer(`ws://127.0.0.1:${port}/sync`, name, user.token);
    const reader = connectPeer(`ws://127.0.0.1:${port}/sync`, name, user.token);
    try {
      await Promise.all([writer.synced, reader.synced]);
      const connections = app.hocuspocus.documents.get(name)!.getConnections();
      expect(connections).toHaveLength(2);
      for (const connection of connections) expect(types.isProxy(connection.webSocket)).toBe(false);
      writer.doc.getMap('notes').set('sent', 'through the bare socket');
      await waitFor(() => reader.doc.getMap('notes').get('sent'), 'the update at the other peer');
      await waitFor(() => !writer.provider.hasUnsyncedChanges, 'the edit acknowledged');
      const closed = new Promise((resolve) => reader.provider.on('close', resolve));
      app.hocuspocus.closeConnections(name);
      await closed;
    } finally {
      writer.destroy();
      reader.destroy();
    }
  });
});
