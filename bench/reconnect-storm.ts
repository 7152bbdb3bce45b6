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

async function round(server: BenchServer, pool: PeerPool, kick: boolean): Promise<StormRound> {
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
    () => ({ cmd: 'storm', timeoutMs: 60_000 }),
    90_000,
  );
  await allArmed;
  const stopAt = now();
  let stoppedAt = 0;
  await server.restart({ stopped: () => (stoppedAt = now()) });
  const readyAt = now();
  if (process.env.BENCH_VERBOSE)
    console.error(
      `[storm] stop ${(stoppedAt - stopAt).toFixed(0)} ms, start ${(readyAt - stoppedAt).toFixed(0)} ms`,
    );
  if (kick) await pool.request(() => ({ cmd: 'kick' }));
  const replies = await storm;
  const times = replies.flatMap((r) => r.resynced).map((t) => t - readyAt);
  return {
    allMs: Math.max(...times),
    p50Ms: percentile(times, 50),
    downMs: readyAt - stopAt,
    missing: replies.reduce((s, r) => s + r.missing, 0),
  };
}

/** `rounds` storms at once, of which the median is the figure (one round moves by ±15% here). */
export async function reconnectStorm(
  server: BenchServer,
  n: number,
  workers: number,
  rounds = 1,
): Promise<StormResult> {
  const users = await accounts(server, USERS);
  const specs: PeerSpec[] = Array.from({ length: n }, (_, i) => {
    const room = Math.floor(i / PEERS_PER_DOC);
    const user = users[room % USERS];
    return { doc: `u/${user.userId}/task/storm${room}`, token: user.token };
  });
  const pool = new PeerPool(WORKER, workers);
  try {
    const opened = await pool.request<{ failed: number; reason: string | null }>((i) => ({
      cmd: 'open',
      url: server.wsUrl,
      specs: pool.split(specs, i),
      awareness: true,
      socketOptions: CLIENT_SOCKET,
      batch: 100,
      timeoutMs: 30_000,
    }));
    const failed = opened.reduce((s, r) => s + r.failed, 0);
    if (failed)
      throw new Error(
        `${failed} of ${n} storm peers did not sync (${opened.find((r) => r.reason)?.reason ?? 'timeout'})`,
      );
    const atOnceRounds: StormRound[] = [];
    for (let r = 0; r < rounds; r++) atOnceRounds.push(await round(server, pool, true));
    if (process.env.BENCH_VERBOSE)
      console.error(
        `[storm] ${server.kind} at once: ${atOnceRounds.map((r) => r.allMs.toFixed(0)).join(' ')} ms`,
      );
    atOnceRounds.sort((a, b) => a.allMs - b.allMs);
    const atOnce = {
      ...atOnceRounds[Math.floor((rounds - 1) / 2)],
      missing: atOnceRounds.reduce((sum, r) => sum + r.missing, 0),
    };
    const backoff = await round(server, pool, false);
    return { peers: n, atOnce, backoff };
  } finally {
    await pool.close();
  }
}
