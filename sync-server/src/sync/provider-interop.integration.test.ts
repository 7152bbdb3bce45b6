// [S8] Supported clients: the oldest supported @hocuspocus/provider major (v2) syncs with the server
// both ways — it reads what the API wrote and its own edit reaches the API and other peers.
import {
  HocuspocusProvider as ProviderV2,
  HocuspocusProviderWebsocket as SocketV2,
} from 'hocuspocus-provider-v2';
import { environmentsMap, listEnvironments, workspaceDocName } from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { QuietWebSocket, api, signup, waitFor } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer | undefined;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await server?.dispose();
});

describe('supported clients', () => {
  it('[S8] a @hocuspocus/provider v2 peer syncs the workspace both ways', async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const created = await api(server.url, 'POST', '/api/environments', {
      token: user.token,
      body: { name: 'from the api', type: 'manual' },
    });
    expect(created.status).toBe(201);

    const doc = new Y.Doc();
    const socket = new SocketV2({ url: server.wsUrl, WebSocketPolyfill: QuietWebSocket });
    const provider = new ProviderV2({
      websocketProvider: socket,
      name: workspaceDocName(user.userId),
      document: doc,
      token: user.token,
    });
    cleanup.push(() => {
      provider.destroy();
      socket.destroy();
    });

    await waitFor(
      () => listEnvironments(doc).some((e) => e.name === 'from the api'),
      'the v2 peer to receive the environment the API created',
    );
    const env = listEnvironments(doc)[0];
    (environmentsMap(doc).get(env.id) as Y.Map<unknown>).set('description', 'edited by a v2 peer');

    await waitFor(async () => {
      const res = await api(server!.url, 'GET', `/api/environments/${env.id}`, { token: user.token });
      return res.body.description === 'edited by a v2 peer';
    }, 'the v2 peer edit to reach the API');
  });
});
