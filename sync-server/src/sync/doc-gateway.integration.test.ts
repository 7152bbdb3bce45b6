// [P1] The API and websocket peers share one loaded document: API calls racing a connecting peer
// never leave the peer on an unloaded copy (hocuspocus#971), so no acknowledged edit is lost.
import { listMessages } from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer | undefined;
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.dispose();
});

const ITERATIONS = 20;

describe('document gateway', () => {
  it('[P1] 20 peers connecting while GET /api/tasks/:id loops: 0 edits lost after a restart, every peer gets the later API message', async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const env = await api(server.url, 'POST', '/api/environments', {
      token: user.token,
      body: { name: 'race', type: 'manual' },
    });
    const task = await api(server.url, 'POST', '/api/tasks', {
      token: user.token,
      body: { environmentId: env.body.id, title: 'race' },
    });
    expect(task.status).toBe(201);
    const taskId = task.body.id as string;
    const docName = `u/${user.userId}/task/${taskId}`;

    let missedMessages = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      // Several API reads in flight at every moment of the peer's connect, sync and edit.
      let racing = true;
      const reads = Array.from({ length: 3 }, async () => {
        while (racing) {
          const res = await api(server!.url, 'GET', `/api/tasks/${taskId}`, { token: user.token });
          expect(res.status).toBe(200);
        }
      });
      const peer = connectPeer(server.wsUrl, docName, user.token);
      peers.push(peer);
      await peer.synced;
      peer.doc.getMap('race').set(`k${i}`, i);
      await waitFor(() => !peer.provider.hasUnsyncedChanges, `edit ${i} acknowledged`);
      racing = false;
      await Promise.all(reads);

      const text = `after edit ${i}`;
      const posted = await api(server.url, 'POST', `/api/tasks/${taskId}/messages`, {
        token: user.token,
        body: { text },
      });
      expect(posted.status).toBe(201);
      const received = await waitFor(
        () => listMessages(peer.doc).some((m) => m.text === text),
        `peer ${i} receives the API's message`,
        3000,
      ).catch(() => false);
      if (!received) missedMessages++;
      peer.destroy();
    }

    await server.restart();
    const reader = connectPeer(server.wsUrl, docName, user.token);
    peers.push(reader);
    await reader.synced;
    const race = reader.doc.getMap('race');
    const lost = Array.from({ length: ITERATIONS }, (_, i) => `k${i}`).filter((k) => !race.has(k));
    expect({ lost, missedMessages }).toEqual({ lost: [], missedMessages: 0 });
    expect(listMessages(reader.doc)).toHaveLength(ITERATIONS);
  }, 120_000);
});
