// Fan-out: one writer, N peers subscribed to the same document; per update, the time until every peer
// has applied it (the slowest peer), and each peer's own delivery time.
//
// Both servers are measured in the same seconds: each has its N peers (in the same worker threads)
// and its writer, and the updates alternate between them in pairs whose order alternates too (ours
// then bare, bare then ours). Measured one server after the other, with 30 updates each, the p99 was
// the slowest of 30 and the two maxima came from different minutes of a shared machine: the ratio
// moved 0.85-1.20× between runs with no change to either server.
import { connectPeer } from '../sync-server/testing/peers.ts';
import { PeerPool, type PeerSpec } from './pool.ts';
import { now, percentile } from './report.ts';
import { accounts, type BenchServer } from './servers.ts';

const WORKER = new URL('./provider-peers.ts', import.meta.url);
const WARMUP = 3;
/** Between one update reaching every peer and the next update. */
const GAP_MS = 30;

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

type Kind = BenchServer['kind'];

/** `updates` updates through each server, interleaved; the figures of each. */
export async function fanoutPaired(
  servers: Record<Kind, BenchServer>,
  n: number,
  updates: number,
  workers: number,
): Promise<Record<Kind, FanoutResult>> {
  const kinds: Kind[] = ['ours', 'bare'];
  const pool = new PeerPool(WORKER, workers);
  const writers: Partial<Record<Kind, ReturnType<typeof connectPeer>>> = {};
  try {
    for (const kind of kinds) {
      const server = servers[kind];
      const [account] = await accounts(server, 1);
      const doc = `u/${account.userId}/workspace`;
      const specs: PeerSpec[] = Array.from({ length: n }, () => ({ doc, token: account.token }));
      writers[kind] = connectPeer(server.wsUrl, doc, account.token);
      await writers[kind].synced;
      const opened = await pool.request<{ synced: number; failed: number; reason: string | null }>((i) => ({
        cmd: 'open',
        url: server.wsUrl,
        group: kind,
        specs: pool.split(specs, i),
        awareness: false,
        socketOptions: { messageReconnectTimeout: 600_000 },
        batch: 100,
        timeoutMs: 30_000,
      }));
      const failed = opened.reduce((s, r) => s + r.failed, 0);
      if (failed)
        throw new Error(
          `${failed} of ${n} fan-out peers of ${kind} did not sync (${opened.find((r) => r.reason)?.reason ?? 'timeout'})`,
        );
    }
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
    const all: Record<Kind, number[]> = { ours: [], bare: [] };
    const perPeer: Record<Kind, number[]> = { ours: [], bare: [] };
    let seq = 0;
    const update = async (kind: Kind, counted: boolean) => {
      const mine = ++seq;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`update ${mine} did not reach all ${n} peers of ${kind} in 20 s`)),
          20_000,
        );
        wake = () => {
          if ((arrivals.get(mine)?.length ?? 0) === pool.size) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      const t0 = now();
      writers[kind]!.doc.getMap<number>('bench').set('seq', mine);
      await done;
      if (counted) {
        const times = arrivals
          .get(mine)!
          .flat()
          .map((t) => t - t0);
        all[kind].push(Math.max(...times));
        perPeer[kind].push(...times);
      }
      arrivals.delete(mine);
      // The peer threads' young generation is emptied between updates, not during one: half the
      // updates through 1,000 peers used to include a 3-22 ms scavenge of a peer thread, and the
      // slowest (which set the p99) nearly all did — the bench's own pause, landing on either server.
      await pool.request(() => ({ cmd: 'collect' }));
      await new Promise((r) => setTimeout(r, GAP_MS));
    };
    for (let round = 0; round < WARMUP + updates; round++) {
      const order: Kind[] = round % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
      for (const kind of order) await update(kind, round >= WARMUP);
    }
    off();
    const result = (kind: Kind): FanoutResult => ({
      peers: n,
      allP50: percentile(all[kind], 50),
      allP99: percentile(all[kind], 99),
      peerP50: percentile(perPeer[kind], 50),
      peerP99: percentile(perPeer[kind], 99),
      updates,
    });
    return { ours: result('ours'), bare: result('bare') };
  } finally {
    for (const writer of Object.values(writers)) writer.destroy();
    await pool.close();
  }
}
