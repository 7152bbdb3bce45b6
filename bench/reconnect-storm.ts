// Reconnect storm: N real peers are synced; the server restarts; time until every peer has synced
// again. Two rounds: peers told to reconnect the moment the new process listens (all at once: what
// the server can take), then peers left to their own backoff (the web app's settings: what a user sees).
import { PeerPool, type PeerSpec } from './pool.ts';
import { now, percentile } from './report.ts';
import { accounts, type BenchServer } from './servers.ts';

const WORKER = new URL('./provider-peers.ts', import.meta.url);
const PEERS_PER_DOC = 10;
const USERS = 10;
/** client/src/sync/doc-store.ts: Hocuspocus defaults (delay 1 s, factor 2, jitter) with maxDelay 10 s. */
const CLIENT_SOCKET = { maxDelay: 10_000 };

export interface StormRound {
  /** ms from the restarted server listening until the last peer re-synced. */
  allMs: number;
  p50Ms: number;
  /** ms the server was away (stop until listening again). */
  downMs: number;
  missing: number;
}

export interface StormResult {
  peers: number;
  atOnce: StormRound;
  backoff: StormRound;
}

type Kind = BenchServer['kind'];

async function round(server: BenchServer, pool: PeerPool, kick: boolean): Promise<StormRound> {
  const group = server.kind;
  let armed = 0;
  const allArmed = new Promise<void>((resolve) => {
    const off = pool.onEvent((e) => {
      if (e.event === 'storm-armed' && ++armed === pool.size) {
        off();
        resolve();
      }
    });
  });
  const storm = pool.request<{ resynced: number[]; missing: number }>(
    () => ({ cmd: 'storm', timeoutMs: 60_000, group }),
    90_000,
  );
  await allArmed;
  const stopAt = now();
  let stoppedAt = 0;
  await server.restart({ stopped: () => (stoppedAt = now()) });
  const readyAt = now();
  if (process.env.BENCH_VERBOSE)
    console.error(
      `[storm] ${group}: stop ${(stoppedAt - stopAt).toFixed(0)} ms, start ${(readyAt - stoppedAt).toFixed(0)} ms`,
    );
  if (kick) await pool.request(() => ({ cmd: 'kick', group }));
  const replies = await storm;
  const times = replies.flatMap((r) => r.resynced).map((t) => t - readyAt);
  return {
    allMs: Math.max(...times),
    p50Ms: percentile(times, 50),
    downMs: readyAt - stopAt,
    missing: replies.reduce((s, r) => s + r.missing, 0),
  };
}

/**
 * Both servers, each with its `n` peers (in the same worker threads), restarted in turn: `rounds`
 * storms at once each, in pairs whose order alternates (ours-bare, bare-ours), so both are measured
 * over the same minutes; the median of each server's rounds is its figure (one round moves by ±15%
 * here). Then one round each with the peers left to their own backoff.
 */
export async function reconnectStormPaired(
  servers: Record<Kind, BenchServer>,
  n: number,
  workers: number,
  rounds = 1,
): Promise<Record<Kind, StormResult>> {
  const kinds: Kind[] = ['ours', 'bare'];
  const pool = new PeerPool(WORKER, workers);
  try {
    for (const kind of kinds) {
      const server = servers[kind];
      const users = await accounts(server, USERS);
      const specs: PeerSpec[] = Array.from({ length: n }, (_, i) => {
        const room = Math.floor(i / PEERS_PER_DOC);
        const user = users[room % USERS];
        return { doc: `u/${user.userId}/task/storm${room}`, token: user.token };
      });
      const opened = await pool.request<{ failed: number; reason: string | null }>((i) => ({
        cmd: 'open',
        url: server.wsUrl,
        group: kind,
        specs: pool.split(specs, i),
        awareness: true,
        socketOptions: CLIENT_SOCKET,
        batch: 100,
        timeoutMs: 30_000,
      }));
      const failed = opened.reduce((s, r) => s + r.failed, 0);
      if (failed)
        throw new Error(
          `${failed} of ${n} storm peers of ${kind} did not sync (${opened.find((r) => r.reason)?.reason ?? 'timeout'})`,
        );
    }
    const atOnceRounds: Record<Kind, StormRound[]> = { ours: [], bare: [] };
    for (let r = 0; r < rounds; r++) {
      const order: Kind[] = r % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
      for (const kind of order) atOnceRounds[kind].push(await round(servers[kind], pool, true));
    }
    const result = {} as Record<Kind, StormResult>;
    for (const kind of kinds) {
      const list = atOnceRounds[kind];
      if (process.env.BENCH_VERBOSE)
        console.error(`[storm] ${kind} at once: ${list.map((r) => r.allMs.toFixed(0)).join(' ')} ms`);
      const sorted = [...list].sort((a, b) => a.allMs - b.allMs);
      const atOnce = {
        ...sorted[Math.floor((rounds - 1) / 2)],
        missing: list.reduce((sum, r) => sum + r.missing, 0),
      };
      result[kind] = { peers: n, atOnce, backoff: await round(servers[kind], pool, false) };
    }
    return result;
  } finally {
    await pool.close();
  }
}
