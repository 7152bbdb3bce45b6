// Connections: authenticated peers one server process holds, and the server's memory per peer
// (growth of its resident set, read from /proc/<pid>/status), at each step of a growing count.
import { PeerPool, type PeerSpec } from './pool.ts';
import { accounts, type BenchServer } from './servers.ts';

const WORKER = new URL('./lite-peers.ts', import.meta.url);
/** Ten devices per document, ten users: many small rooms, as real use looks. */
const PEERS_PER_DOC = 10;
const USERS = 10;

export interface ConnectionStep {
  peers: number;
  held: number;
  /** Bytes of server RSS per held peer, over the baseline before any peer connected. */
  bytesPerPeer: number;
  connectMs: number;
  firstError: string | null;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lower of a few samples a little apart: a GC in flight should not count as held memory. */
async function steadyRss(server: BenchServer): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 4; i++) {
    await settle(500);
    samples.push(server.rss());
  }
  return Math.min(...samples);
}

export async function connections(
  server: BenchServer,
  steps: number[],
  workers: number,
): Promise<ConnectionStep[]> {
  const users = await accounts(server, USERS);
  const total = Math.max(...steps);
  const specs: PeerSpec[] = Array.from({ length: total }, (_, i) => {
    const room = Math.floor(i / PEERS_PER_DOC);
    const user = users[room % USERS];
    return { doc: `u/${user.userId}/task/bench${room}`, token: user.token };
  });
  const pool = new PeerPool(WORKER, workers);
  const out: ConnectionStep[] = [];
  try {
    const baseline = await steadyRss(server);
    let from = 0;
    for (const step of steps) {
      const slice = specs.slice(from, step);
      const t0 = performance.now();
      const replies = await pool.request<{ held: number; firstError: string | null }>(
        (i) => ({
          cmd: 'open',
          url: server.wsUrl,
          specs: pool.split(slice, i),
          concurrency: 50,
          timeoutMs: 30_000,
        }),
        300_000,
      );
      const connectMs = performance.now() - t0;
      from = step;
      const rss = await steadyRss(server);
      const counts = await pool.request<{ open: number }>(() => ({ cmd: 'count' }));
      const held = counts.reduce((s, r) => s + r.open, 0);
      out.push({
        peers: step,
        held,
        bytesPerPeer: (rss - baseline) / Math.max(1, held),
        connectMs,
        firstError: replies.find((r) => r.firstError)?.firstError ?? null,
      });
    }
    return out;
  } finally {
    await pool.close();
  }
}
