// [S11a] A change of the Viber's that a server limit refuses (its user's documents take too much of
// the server's memory, or their storage quota is spent) is refused again at every sync while the
// limit holds. The Viber tries it again later, waiting longer each time, and says why; it used to
// authenticate again 100 ms after each refusal, a refused message and two server log lines ten
// times a second for as long as the limit held. A real server with a small limit.
import { runOutputDocName, taskDocName, viberDocName } from '@openviber/shared';
import { connectPeer } from '../../sync-server/testing/peers.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, RECONNECT_BASE_MS } from './connection.ts';
import { boundViber } from '../test/bound-viber.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REASON = /too much of this user's data is open on this server/;

describe("[S11a] a change a server limit refuses, from the Viber's side", async () => {
  const server = await useServer({
    MAX_LOADED_MEMORY_PER_USER: String(1024 * 1024),
    // One socket for a user's Vibers: a second one is refused by a limit at authentication.
    MAX_SOCKETS_PER_USER: '1',
  });
  const { userId, viberId, authToken, newTask } = await boundViber(server.url, 'limits');
  const connections: Connection[] = [];
  afterEach(() => connections.splice(0).forEach((c) => c.destroy()));
  /** Refusals the server printed (Hocuspocus prints each document it closes for an error, once). */
  const refusalsPrinted = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('closing connection') && REASON.test(line)).length;

  it('is tried again later, each wait longer than the last, with the limit named', async () => {
    const task = await newTask('limits');
    const limits: { name: string; reason: string; retryMs: number }[] = [];
    const conn = new Connection(server.url, authToken, {
      onLimit: (name, reason, retryMs) => limits.push({ name, reason, retryMs }),
    });
    connections.push(conn);
    const name = runOutputDocName(userId, viberId, task.id);
    const output = conn.open(name);
    await output.synced;
    const before = refusalsPrinted();
    // 200 KB of output in one change: ~6 MB of memory by the server's estimate, past the 1 MiB limit.
    output.doc.getMap('m').set('chunk', 'x'.repeat(200_000));
    await waitFor(() => limits.length > 0, { what: 'the refusal' });
    expect(limits[0].name).toBe(name);
    expect(limits[0].reason).toMatch(REASON);
    expect(limits[0].reason).not.toMatch(/^4413/); // the limit's words, without the code
    await sleep(4_000);
    // Tried again with backoff: 250-500 ms, then 0.5-1 s, 1-2 s, 2-4 s — not every 100 ms (39 in these 4 s before).
    const refused = refusalsPrinted() - before;
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThanOrEqual(5);
    expect(limits.length).toBe(refused);
    const ceilings = limits.map((l) => l.retryMs);
    for (let i = 0; i < ceilings.length; i++) {
      expect(ceilings[i]).toBeGreaterThanOrEqual((RECONNECT_BASE_MS * 2 ** i) / 2);
      expect(ceilings[i]).toBeLessThanOrEqual(RECONNECT_BASE_MS * 2 ** i);
    }
    // The change stays in the Viber's copy, to be sent once the limit allows it.
    expect(output.doc.getMap('m').get('chunk')).toHaveLength(200_000);
  });

  it('[V3] refused at authentication by a limit, the Viber waits for it rather than stopping as if its token were revoked', async () => {
    const { userId, viberId, authToken, viber } = await boundViber(server.url, 'limits-2');
    // Another socket of this user's Vibers holds the only place (a copy of the Viber still running
    // elsewhere, or the socket of one that just restarted).
    const other = new Connection(server.url, authToken);
    connections.push(other);
    await other.open(viberDocName(userId, viberId)).synced;
    viber.start();
    try {
      await waitFor(() => /too many connections for this user's Vibers/.test(viber.output()), {
        what: 'the refusal in the Viber log',
      });
      expect(viber.output()).toMatch(/trying again in \d+ s/);
      expect(viber.output()).not.toMatch(/Onboard again/);
      const exited = await Promise.race([viber.exited(), sleep(2_000).then(() => 'running')]);
      expect(exited).toBe('running');
      // The place comes free: the Viber gets in by itself.
      other.destroy();
      await waitFor(() => viber.output().includes('synced with the server'), {
        what: 'the Viber to sync once the limit allows it',
        timeoutMs: 45_000,
      });
    } finally {
      await viber.stop();
    }
  });

  it("[V1] a change refused while the user's other documents fill the limit reaches the server once they close, and the next refusal waits from the start", async () => {
    const { user, userId, viberId, authToken, newTask } = await boundViber(server.url, 'limits-3');
    // A device holds a dense document open: ~0.75 MiB of the user's 1 MiB by the server's estimate.
    const dense = connectPeer(server.wsUrl, taskDocName(userId, (await newTask('dense')).id), user.token);
    await dense.synced;
    dense.doc.transact(() => {
      for (let i = 0; i < 1_600; i++) dense.doc.getMap('m').set(`k${i}`, i);
    });
    await waitFor(() => !dense.provider.hasUnsyncedChanges, { what: 'the dense document acknowledged' });

    const limits: { name: string; retryMs: number }[] = [];
    const conn = new Connection(server.url, authToken, {
      onLimit: (name, _reason, retryMs) => limits.push({ name, retryMs }),
    });
    connections.push(conn);
    const name = runOutputDocName(userId, viberId, (await newTask('output')).id);
    const output = conn.open(name);
    await output.synced;
    // 15 KB: with the dense document loaded, past the limit by the estimate.
    output.doc.getMap('m').set('chunk', 'y'.repeat(15_000));
    await waitFor(() => limits.length > 0, { what: 'the refusal' });

    // The device closes its document: it is stored and leaves the server's memory, and the Viber's
    // next try is let in.
    dense.destroy();
    await waitFor(
      async () => {
        const reader = connectPeer(server.wsUrl, name, user.token);
        try {
          // One device socket at a time here: a reader refused while the last one is counted waits.
          await Promise.race([reader.synced, sleep(2_000)]);
          return reader.doc.getMap('m').get('chunk') === 'y'.repeat(15_000);
        } finally {
          reader.destroy();
        }
      },
      { what: 'the refused change on the server', timeoutMs: 45_000 },
    );
    await waitFor(() => !output.provider?.hasUnsyncedChanges, { what: 'the change acknowledged' });
    // Let in, it is not tried again.
    const tries = limits.length;
    await sleep(2_000);
    expect(limits.length).toBe(tries);

    // The limit fills again: the next refusal is tried again after the first wait, not after the
    // longest the earlier refusals had reached (a Viber refused for a while would otherwise answer a
    // new, short limit minutes late).
    const again = connectPeer(
      server.wsUrl,
      taskDocName(userId, (await newTask('dense-again')).id),
      user.token,
    );
    try {
      await again.synced;
      again.doc.transact(() => {
        for (let i = 0; i < 1_600; i++) again.doc.getMap('m').set(`k${i}`, i);
      });
      await waitFor(() => !again.provider.hasUnsyncedChanges, {
        what: 'the second dense document acknowledged',
      });
      output.doc.getMap('m').set('chunk2', 'z'.repeat(15_000));
      await waitFor(() => limits.length > tries, { what: 'the second refusal' });
      expect(limits[tries].name).toBe(name);
      // The first wait is at most RECONNECT_BASE_MS; after `tries` refusals it would be at least that.
      expect(limits[tries].retryMs).toBeLessThanOrEqual(RECONNECT_BASE_MS);
    } finally {
      again.destroy();
    }
  });
});
