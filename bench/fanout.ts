// Fan-out: one writer, N peers subscribed to the same document; per update, the time until every peer
// has applied it (the slowest peer), and each peer's own delivery time.
import { connectPeer } from '../sync-server/testing/peers.ts';
import { PeerPool, type PeerSpec } from './pool.ts';
import { now, percentile } from './report.ts';
import { accounts, type BenchServer } from './servers.ts';

const WORKER = new URL('./provider-peers.ts', import.meta.url);
const WARMUP = 3;

export interface FanoutResult {
  peers: number;
  /** Per update: ms until the last peer had it. */
  allP50: number;
  allP99: number;
  /** Per peer and update: ms until that peer had it. */
  peerP50: number;
  peerP99: number;
  updates: number;
}

export async function fanout(
  server: BenchServer,
  n: number,
  updates: number,
  workers: number,
): Promise<FanoutResult> {
  const [account] = await accounts(server, 1);
  const doc = `u/${account.userId}/workspace`;
  const specs: PeerSpec[] = Array.from({ length: n }, () => ({ doc, token: account.token }));
  const pool = new PeerPool(WORKER, workers);
  const writer = connectPeer(server.wsUrl, doc, account.token);
  try {
    await writer.synced;
    const opened = await pool.request<{ synced: number; failed: number; reason: string | null }>((i) => ({
      cmd: 'open',
      url: server.wsUrl,
      specs: pool.split(specs, i),
      awareness: false,
      socketOptions: { messageReconnectTimeout: 600_000 },
      batch: 100,
      timeoutMs: 30_000,
    }));
    const failed = opened.reduce((s, r) => s + r.failed, 0);
    if (failed)
      throw new Error(
        `${failed} of ${n} fan-out peers did not sync (${opened.find((r) => r.reason)?.reason ?? 'timeout'})`,
      );
    await pool.request(() => ({ cmd: 'watch' }));

    const arrivals = new Map<number, number[][]>();
    let wake = () => {};
    const off = pool.onEvent((e) => {
      if (e.event !== 'seq') return;
      const list = arrivals.get(e.seq as number) ?? [];
      list.push(e.arrivals as number[]);
      arrivals.set(e.seq as number, list);
      wake();
    });
    const all: number[] = [];
    const perPeer: number[] = [];
    for (let seq = 1; seq <= WARMUP + updates; seq++) {
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`update ${seq} did not reach all ${n} peers in 20 s`)),
          20_000,
        );
        wake = () => {
          if ((arrivals.get(seq)?.length ?? 0) === pool.size) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      const t0 = now();
      writer.doc.getMap<number>('bench').set('seq', seq);
      await done;
      if (seq > WARMUP) {
        const times = arrivals
          .get(seq)!
          .flat()
          .map((t) => t - t0);
        all.push(Math.max(...times));
        perPeer.push(...times);
      }
      arrivals.delete(seq);
      await new Promise((r) => setTimeout(r, 30));
    }
    off();
    return {
      peers: n,
      allP50: percentile(all, 50),
      allP99: percentile(all, 99),
      peerP50: percentile(perPeer, 50),
      peerP99: percentile(perPeer, 99),
      updates,
    };
  } finally {
    writer.destroy();
    await pool.close();
  }
}
