// A Redis outage under load, with two real server processes on real PostgreSQL: the publisher holds
// a bounded queue, says once that it drops, and when Redis is back every peer catches up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceDocName } from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { freePort, startPostgres, type RunningPostgres } from '../../testing/pg-redis.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';
import { MAX_REDIS_OFFLINE_QUEUE } from '../limits.ts';

/** A redis-server we can kill and start again on the same port (the servers reconnect to it). */
function ownRedis(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'openviber-redis-outage-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    let output = '';
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => /Ready to accept connections/.test(output), 'redis to start');
  };
  const kill = () =>
    new Promise<void>((done) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    dispose: async () => (await kill(), rmSync(dir, { recursive: true, force: true })),
  };
}

let postgres: RunningPostgres;
let redis: ReturnType<typeof ownRedis>;
const servers: SpawnedServer[] = [];
const peers: Peer[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
  redis = ownRedis(await freePort());
  await redis.start();
});
afterAll(async () => {
  for (const p of peers) p.destroy();
  await Promise.all(servers.map((s) => s.dispose()));
  await Promise.all([postgres?.stop(), redis?.dispose()]);
});

describe('Redis outage', () => {
  it('publishes wait in a bounded queue, the drop is logged once, and peers resync on reconnect', async () => {
    const env = { DATABASE_URL: await postgres.createSchema(), REDIS_URL: redis.url };
    const [a, b] = await Promise.all([spawnServer({ env }), spawnServer({ env })]);
    servers.push(a, b);
    const user = await signup(a.url);
    const name = workspaceDocName(user.userId);
    const onA = connectPeer(a.wsUrl, name, user.token);
    const onB = connectPeer(b.wsUrl, name, user.token);
    peers.push(onA, onB);
    await Promise.all([onA.synced, onB.synced]);
    onA.doc.getMap('probe').set('before', 1);
    await waitFor(() => onB.doc.getMap('probe').get('before') === 1, 'live fan-out before the outage');

    await redis.kill();
    const edits = MAX_REDIS_OFFLINE_QUEUE * 3;
    for (let i = 0; i < edits; i++) onA.doc.getMap('probe').set(`k${i}`, i);
    await waitFor(() => !onA.provider.hasUnsyncedChanges, 'process A to acknowledge every edit');
    await waitFor(() => /dropping further publishes/.test(a.output()), 'the drop to be reported');
    expect(a.output().match(/dropping further publishes/g)).toHaveLength(1);

    await redis.start();
    await waitFor(
      () =>
        onB.doc.getMap('probe').get(`k${edits - 1}`) === edits - 1 &&
        onB.doc.getMap('probe').size === edits + 1,
      'the peer on process B to catch up after Redis is back',
      20_000,
    );
    expect(a.output()).toMatch(/connected again after dropping \d+ publishes; resyncing documents/);
    onB.doc.getMap('probe').set('after', 1);
    await waitFor(() => onA.doc.getMap('probe').get('after') === 1, 'live fan-out after the outage');
  }, 60_000);
});
