// [P1] Hocuspocus's own race, without the gateway's help: server code opening and disconnecting a
// direct connection per call (what the API did before) while websocket peers connect. The guards in
// create-sync (a stale unload is refused, a peer on a dead instance is reset) keep every peer on the
// stored instance: 0 edits lost, every peer receives the server's later write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendMessage, listMessages } from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { createApp } from '../app.ts';
import { readConfig } from '../config.ts';
import { SqliteStorage } from '../storage/sqlite-storage.ts';

const ITERATIONS = 20;
const peers: Peer[] = [];
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await cleanup?.();
  cleanup = undefined;
});

describe('[P1] unload guards', () => {
  it('peers connecting while direct connections open and close per call: 0 edits lost, every later write received', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openviber-guard-'));
    const file = join(dir, 'openviber.sqlite');
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir }, join(dir, 'no-app'));
    const app = createApp({ config, storage: new SqliteStorage(file), log: () => {} });
    let closed = false;
    cleanup = async () => {
      if (!closed) await app.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const port = await app.listen();
    const url = `http://127.0.0.1:${port}`;
    const user = await signup(url);
    const name = `u/${user.userId}/task/tsk_guard`;
    const perCall = async (fn?: (doc: Y.Doc) => void) => {
      const conn = await app.hocuspocus.openDirectConnection(name, {});
      if (fn) await conn.transact(fn);
      await conn.disconnect();
    };

    let missed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      let racing = true;
      const racers = Array.from({ length: 3 }, async () => {
        while (racing) {
          await perCall();
          // Direct connections resolve in microtasks only: let timers and sockets run between calls.
          await new Promise((r) => setImmediate(r));
        }
      });
      const peer = connectPeer(`ws://127.0.0.1:${port}/sync`, name, user.token);
      peers.push(peer);
      await peer.synced;
      peer.doc.getMap('race').set(`k${i}`, i);
      await waitFor(() => !peer.provider.hasUnsyncedChanges, `edit ${i} acknowledged`);
      racing = false;
      await Promise.all(racers);
      await perCall((doc) => appendMessage(doc, `after ${i}`, user.userId));
      const got = await waitFor(
        () => listMessages(peer.doc).some((m) => m.text === `after ${i}`),
        `peer ${i} receives the later write`,
        3000,
      ).catch(() => false);
      if (!got) missed++;
      peer.destroy();
    }

    await app.close();
    closed = true;
    const storage = new SqliteStorage(file);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, (await storage.fetchDocument(name))!);
    await storage.close();
    const lost = Array.from({ length: ITERATIONS }, (_, i) => `k${i}`).filter(
      (k) => !stored.getMap('race').has(k),
    );
    expect({ lost, missed }).toEqual({ lost: [], missed: 0 });
  }, 120_000);
});
