// Persistence across a graceful restart (pending stores flushed) and across kill -9 while peers edit
// (peers hold their edits and re-sync on reconnect).
import {
  createEnvironment,
  environmentCreateSchema,
  listEnvironments,
  patchEnvironment,
  validate,
} from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const envInput = (name: string) => {
  const r = validate(environmentCreateSchema, { name, type: 'manual' });
  if (!r.ok) throw r.error;
  return r.value;
};

let server: SpawnedServer | undefined;
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.dispose();
});

describe('persistence', () => {
  it('a graceful stop flushes edits still inside the store debounce window', async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const name = `u/${user.userId}/workspace`;
    const peer = connectPeer(server.wsUrl, name, user.token);
    peers.push(peer);
    await peer.synced;
    createEnvironment(peer.doc, envInput('written just before shutdown'));
    await waitFor(() => !peer.provider.hasUnsyncedChanges, 'edit applied on the server');
    peer.destroy();
    await server.restart(); // SIGTERM well within the 2 s debounce
    const fresh = connectPeer(server.wsUrl, name, user.token);
    peers.push(fresh);
    await fresh.synced;
    expect(listEnvironments(fresh.doc).map((e) => e.name)).toEqual(['written just before shutdown']);
  });

  it('after kill -9 mid-edit, nothing a connected peer holds is lost once it reconnects', async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const name = `u/${user.userId}/workspace`;
    const writers = [
      connectPeer(server.wsUrl, name, user.token),
      connectPeer(server.wsUrl, name, user.token),
    ];
    peers.push(...writers);
    await Promise.all(writers.map((w) => w.synced));
    const id = createEnvironment(writers[0].doc, envInput('counter'));
    let stop = false;
    let edits = 0;
    const expected: Record<string, string> = {};
    const editing = (async () => {
      while (!stop) {
        const w = writers[edits % 2];
        if (w.doc.getMap('environments').has(id)) {
          patchEnvironment(w.doc, id, { vars: { [`K${edits}`]: String(edits) } });
          expected[`K${edits}`] = String(edits);
        }
        edits++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => edits > 40, 'edits under way');
    await server.kill();
    await waitFor(() => edits > 80, 'edits while the server is down');
    await server.restart();
    await waitFor(() => edits > 120, 'edits after restart');
    stop = true;
    await editing;
    await waitFor(
      () => writers.every((w) => !w.provider.hasUnsyncedChanges && w.provider.isSynced),
      'writers re-synced',
    );
    // Make sure the server stored it, then read from a fresh peer after another restart.
    await server.restart();
    const fresh = connectPeer(server.wsUrl, name, user.token);
    peers.push(fresh);
    await fresh.synced;
    const env = listEnvironments(fresh.doc).find((e) => e.id === id);
    expect(Object.keys(expected).length).toBeGreaterThan(100);
    expect(env?.vars).toEqual(expected);
  });
});
