// [S11] A client that sends a refused change again the moment it is refused (authenticating again at
// once, as our Viber did before it backed off) must not make the server refuse it, and print it,
// without bound: each refusal is one short line; past MAX_REFUSED_CHANGES_PER_MINUTE the principal's
// socket is closed (4429) with one refusal line, and its documents are refused at authentication
// until the minute is up. A real server and a real provider.
import { readLimitReason, taskDocName } from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const BUDGET = 5;
let server: SpawnedServer;
const peers: Peer[] = [];
beforeAll(async () => {
  server = await spawnServer({
    env: {
      MAX_LOADED_MEMORY_PER_USER: String(1024 * 1024),
      MAX_REFUSED_CHANGES_PER_MINUTE: String(BUDGET),
    },
  });
});
afterAll(async () => {
  for (const p of peers) p.destroy();
  await server?.dispose();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines = (pattern: RegExp) =>
  server
    .output()
    .split('\n')
    .filter((line) => pattern.test(line));

describe('[S11] a client that loops on a refused change', () => {
  it('gets one short line per refusal, then its socket closed 4429 and its documents refused for the minute; another user goes on', async () => {
    const [mallory, bob] = [await signup(server.url), await signup(server.url)];
    const loop = connectPeer(server.wsUrl, taskDocName(mallory.userId, 'dense'), mallory.token);
    peers.push(loop);
    await loop.synced;
    const socketCloses: number[] = [];
    loop.socket.on('close', ({ event }: { event: { code: number } }) => socketCloses.push(event.code));
    // Each refusal is answered by authenticating again at once: the change goes again at the sync.
    let stopped = false;
    loop.provider.on('close', () => {
      if (stopped) return;
      setTimeout(() => {
        if (!stopped && !loop.provider.isAuthenticated)
          void loop.provider.sendToken().then(() => loop.provider.startSync());
      }, 10);
    });
    // 200 KB in one change: ~6 MB by the memory estimate, past the 1 MiB limit.
    loop.doc.getMap('m').set('big', 'x'.repeat(200_000));
    await waitFor(() => socketCloses.includes(4429), 'the socket closed past the budget');
    await sleep(2_000);
    stopped = true;

    const refusals = lines(/because of exception refused: 4413 too much of this user's data/);
    // The budget's refusals and the one that crossed it; then the socket closed, once: back, the
    // client is refused at authentication (one rate-limited log line), not at every change.
    expect(refusals.length).toBe(BUDGET + 1);
    expect(socketCloses).toEqual([4429]);
    await waitFor(() => loop.authFailure(), 'the refusal at authentication');
    expect(readLimitReason(loop.authFailure()!)).toBe(
      'too many refused changes from this client; try again in a minute',
    );
    // One line each: no stack, and not once more under the hook's name.
    expect(lines(/^\s+at /)).toEqual([]);
    expect(lines(/\[beforeHandleMessage\]/)).toEqual([]);
    expect(lines(/refused changes over budget/).length).toBe(1);

    // Another user writes on.
    const other = connectPeer(server.wsUrl, taskDocName(bob.userId, 'fine'), bob.token);
    peers.push(other);
    await other.synced;
    other.doc.getMap('m').set('hello', 'bob');
    await waitFor(() => !other.provider.hasUnsyncedChanges, "Bob's change acknowledged");
  });
});
