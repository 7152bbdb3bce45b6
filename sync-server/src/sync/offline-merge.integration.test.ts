// [S5] Two peers edit different fields of one environment while offline; after reconnecting both edits survive.
import {
  createEnvironment,
  environmentCreateSchema,
  getEnvironment,
  patchEnvironment,
  validate,
} from '@openviber/shared';
import { afterAll, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer;
const peers: Peer[] = [];
afterAll(async () => {
  for (const p of peers) p.destroy();
  await server?.dispose();
});

it('[S5] offline edits to different fields of one environment are both kept after reconnect', async () => {
  server = await spawnServer();
  const user = await signup(server.url);
  const name = `u/${user.userId}/workspace`;
  const [a, b] = [connectPeer(server.wsUrl, name, user.token), connectPeer(server.wsUrl, name, user.token)];
  peers.push(a, b);
  await Promise.all([a.synced, b.synced]);
  const input = validate(environmentCreateSchema, { name: 'shared', type: 'manual', vars: { A: '1' } });
  if (!input.ok) throw input.error;
  const id = createEnvironment(a.doc, input.value);
  await waitFor(() => getEnvironment(b.doc, id), 'environment on b');

  a.socket.disconnect();
  b.socket.disconnect();
  await waitFor(
    () => a.socket.status === 'disconnected' && b.socket.status === 'disconnected',
    'both offline',
  );
  patchEnvironment(a.doc, id, { name: 'renamed offline on a', vars: { FROM_A: 'a' } });
  patchEnvironment(b.doc, id, { setupScript: 'npm ci', networkAccess: false, vars: { FROM_B: 'b' } });
  expect(getEnvironment(b.doc, id)?.name).toBe('shared'); // really offline: a's edit has not arrived

  await Promise.all([a.socket.connect(), b.socket.connect()]);
  const expected = {
    name: 'renamed offline on a',
    setupScript: 'npm ci',
    networkAccess: false,
    vars: { A: '1', FROM_A: 'a', FROM_B: 'b' },
  };
  for (const peer of [a, b])
    await waitFor(
      () =>
        getEnvironment(peer.doc, id)?.setupScript === 'npm ci' &&
        getEnvironment(peer.doc, id)?.name === expected.name,
      'merged',
    );
  for (const peer of [a, b]) expect(getEnvironment(peer.doc, id)).toMatchObject(expected);
  await waitFor(() => !a.provider.hasUnsyncedChanges && !b.provider.hasUnsyncedChanges, 'both stored');

  await server.restart();
  const fresh = connectPeer(server.wsUrl, name, user.token);
  peers.push(fresh);
  await fresh.synced;
  expect(getEnvironment(fresh.doc, id)).toMatchObject(expected);
});
