// Many users, as the product is used: each user has a few devices (2 app devices and a Viber) on their
// own workspace document, and edits now and then. Figure: edit → other device delivery times, and
// the server processes' CPU and memory while it runs. One process (ours vs bare Hocuspocus), or two
// processes sharing PostgreSQL + Redis with each user's devices split over them.
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis } from '../sync-server/testing/pg-redis.ts';
import { PostgresStorage } from '../sync-server/src/storage/postgres-storage.ts';
import { PeerPool } from './pool.ts';
import { percentile } from './report.ts';
import { fakeUsers, seedSqlite, seedUsers, type SeededUser } from './seed-accounts.ts';
import { rssOf, startBare, startOurs } from './servers.ts';
import type { UserSpec } from './user-peers.ts';

const WORKER = new URL('./user-peers.ts', import.meta.url);
export const APP_DEVICES = 2;

export interface Profile {
  users: number;
  durationMs: number;
  periodMs: number;
}

export interface ManyUsersResult {
  devices: number;
  held: number;
  edits: number;
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  /** The p99 of each window the figure pools (one, or the two halves around the 2-process window). */
  windowP99s: number[];
  /** Deliveries between devices on different server processes (two-process runs only). */
  crossP99: number;
  crossCount: number;
  /** Server CPU over the edit window, in cores (1.0 = one core busy), all server processes together. */
  cpuCores: number;
  /** Server resident memory at the end, all server processes together. */
  rssBytes: number;
  connectMs: number;
  /**
   * How starved the run was, over the edit window: the share of it the server processes' main
   * threads (mean) and the bench's peer threads (mean) spent runnable but waiting for a CPU, the
   * machine's busy share (every process), and the peer threads' event-loop delay (they stamp the
   * arrivals, so their own lateness is part of every delivery time).
   */
  serverWaitShare: number;
  peersWaitShare: number;
  machineBusy: number;
  /** fixedWorkMs() around the window(s): how fast the machine ran JavaScript then. */
  fixedWorkMs: number;
  peersLoopDelayP99: number;
  peersLoopDelayMax: number;
}

/** utime + stime of a process in seconds (/proc/<pid>/stat; 100 ticks per second on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** ms a thread spent runnable but waiting for a CPU (/proc/<pid>/task/<tid>/schedstat, 2nd field, ns). */
function waitMs(pid: number | 'self', tid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

/** This process's worker threads (the peer threads): Node names them WorkerThread. */
function workerTids(): number[] {
  return readdirSync('/proc/self/task')
    .map(Number)
    .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'WorkerThread');
}

const FIXED_WORK = Array.from({ length: 20_000 }, (_, i) => ({
  id: `t${i}`,
  title: `task ${i}`,
  n: i,
  tags: ['a', 'b'],
  nested: { x: i * 1.5, y: `y${i}` },
}));

/**
 * How fast this machine runs JavaScript now: the fastest of 5 runs of a fixed piece of work (three
 * JSON round trips of 20,000 small objects, ~60 ms here when quiet). A shared host's speed drifts
 * over minutes; the same work taking longer says the run's CPU figures and tail were measured on a
 * slower machine, not that the code did more.
 */
function fixedWorkMs(): number {
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) JSON.parse(JSON.stringify(FIXED_WORK));
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** [busy, total] jiffies of every CPU of the machine (/proc/stat: idle and iowait count as not busy). */
function machineJiffies(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - f[3] - f[4], total];
}

function specs(users: SeededUser[], docOf: (u: SeededUser) => string, urls: string[]): UserSpec[] {
  return users.map((u, i) => ({
    doc: docOf(u),
    devices: [
      ...u.appTokens.map((token, d) => ({ token, edits: true, server: (i + d) % urls.length })),
      { token: u.viberToken, edits: false, server: (i + APP_DEVICES) % urls.length },
    ].map((d) => ({ ...d, url: urls[d.server] })),
  }));
}

/** One edit window: raw deliveries and counters, so windows of one configuration can be pooled. */
interface Window {
  devices: number;
  held: number;
  edits: number;
  expected: number;
  same: number[];
  cross: number[];
  cpuSeconds: number;
  wallS: number;
  rssBytes: number;
  connectMs: number;
  serverWaitShare: number;
  peersWaitShare: number;
  machine: [busy: number, total: number];
  fixedWorkMs: number;
  loopDelayP99: number;
  loopDelayMax: number;
}

/** Connects every device, runs one edit window of `profile`, and disconnects them. */
async function drive(pids: number[], users: UserSpec[], profile: Profile, workers: number): Promise<Window> {
  const pool = new PeerPool(WORKER, workers);
  try {
    const t0 = performance.now();
    const opened = await pool.request<{ held: number; failed: number; firstError: string | null }>(
      (i) => ({ cmd: 'open', users: pool.split(users, i), concurrency: 50, timeoutMs: 30_000 }),
      300_000,
    );
    const connectMs = performance.now() - t0;
    const failed = opened.reduce((s, r) => s + r.failed, 0);
    const devices = users.reduce((s, u) => s + u.devices.length, 0);
    if (failed > devices / 100)
      throw new Error(
        `${failed} of ${devices} devices did not sync (${opened.find((r) => r.firstError)?.firstError})`,
      );
    const before = fixedWorkMs();
    const cpu0 = pids.map(cpuSeconds);
    const tids = workerTids();
    const serverWait0 = pids.map((pid) => waitMs(pid, pid));
    const peersWait0 = tids.map((tid) => waitMs('self', tid));
    const machine0 = machineJiffies();
    const w0 = performance.now();
    const ran = await pool.request<{
      edits: number;
      expected: number;
      sameMs: number[];
      crossMs: number[];
      trace: number[];
      gcs: number[];
      open: number;
      loopDelayP99: number;
      loopDelayMax: number;
    }>(
      () => ({ cmd: 'run', durationMs: profile.durationMs, periodMs: profile.periodMs, drainMs: 30_000 }),
      profile.durationMs + 120_000,
    );
    const wallS = (performance.now() - w0) / 1000;
    const meanShare = (waits: number[]) => waits.reduce((a, b) => a + b, 0) / waits.length / (wallS * 1000);
    const machine1 = machineJiffies();
    const serverWait = pids.map((pid, i) => waitMs(pid, pid) - serverWait0[i]);
    const peersWait = tids.map((tid, i) => waitMs('self', tid) - peersWait0[i]);
    const cpuUsed = pids.reduce((s, pid, i) => s + cpuSeconds(pid) - cpu0[i], 0);
    const fixedMs = (before + fixedWorkMs()) / 2;
    // BENCH_TRACE=<file>: every delivery, one JSON line per peer thread of flat triples [arrival ms
    // since the epoch, ms, cross 0/1]; <file>.gc the peer threads' GC pauses [start, ms, kind]. A
    // later window of the same run appends.
    const trace = process.env.BENCH_TRACE;
    if (trace) {
      appendFileSync(trace, ran.map((r) => JSON.stringify(r.trace) + '\n').join(''));
      appendFileSync(`${trace}.gc`, ran.map((r) => JSON.stringify(r.gcs) + '\n').join(''));
    }
    return {
      devices,
      held: ran.reduce((s, r) => s + r.open, 0),
      edits: ran.reduce((s, r) => s + r.edits, 0),
      expected: ran.reduce((s, r) => s + r.expected, 0),
      same: ran.flatMap((r) => r.sameMs),
      cross: ran.flatMap((r) => r.crossMs),
      cpuSeconds: cpuUsed,
      wallS,
      rssBytes: pids.reduce((s, pid) => s + rssOf(pid), 0),
      connectMs,
      serverWaitShare: meanShare(serverWait),
      peersWaitShare: meanShare(peersWait),
      fixedWorkMs: fixedMs,
      machine: [machine1[0] - machine0[0], machine1[1] - machine0[1]],
      loopDelayP99: Math.max(...ran.map((r) => r.loopDelayP99)),
      loopDelayMax: Math.max(...ran.map((r) => r.loopDelayMax)),
    };
  } finally {
    await pool.close();
  }
}

/** The figures of one configuration over its windows, their deliveries pooled (a p99 over all). */
function summarize(windows: Window[]): ManyUsersResult {
  const sum = (f: (w: Window) => number) => windows.reduce((s, w) => s + f(w), 0);
  const wallS = sum((w) => w.wallS);
  const byWall = (f: (w: Window) => number) => sum((w) => f(w) * w.wallS) / wallS;
  const all = windows.flatMap((w) => [...w.same, ...w.cross]);
  const cross = windows.flatMap((w) => w.cross);
  return {
    devices: windows[0].devices,
    held: Math.min(...windows.map((w) => w.held)),
    edits: sum((w) => w.edits),
    delivered: all.length,
    expected: sum((w) => w.expected),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    windowP99s: windows.map((w) => percentile([...w.same, ...w.cross], 99)),
    crossP99: percentile(cross, 99),
    crossCount: cross.length,
    cpuCores: sum((w) => w.cpuSeconds) / wallS,
    rssBytes: windows[windows.length - 1].rssBytes,
    connectMs: sum((w) => w.connectMs) / windows.length,
    serverWaitShare: byWall((w) => w.serverWaitShare),
    peersWaitShare: byWall((w) => w.peersWaitShare),
    machineBusy: sum((w) => w.machine[0]) / sum((w) => w.machine[1]),
    fixedWorkMs: sum((w) => w.fixedWorkMs) / windows.length,
    peersLoopDelayP99: Math.max(...windows.map((w) => w.loopDelayP99)),
    peersLoopDelayMax: Math.max(...windows.map((w) => w.loopDelayMax)),
  };
}

const workspace = (u: SeededUser) => `u/${u.userId}/workspace`;

/** The bare server, one process. */
export async function manyUsersBare(profile: Profile, workers: number): Promise<ManyUsersResult> {
  const users = fakeUsers(profile.users, APP_DEVICES);
  const server = await startBare();
  try {
    return summarize([
      await drive([server.pid()], specs(users, workspace, [server.wsUrl]), profile, workers),
    ]);
  } finally {
    await server.stop();
  }
}

/**
 * Ours on one process (accounts seeded into its SQLite file) and on two processes sharing one
 * PostgreSQL and one Redis (each user's devices split over both), measured over the same minutes:
 * one process for half its window, the two processes for theirs, one process (started again on its
 * data) for the other half; only the deployment being measured runs during a window.
 * Drift of a shared machine over those minutes then weighs on both figures alike (measured one
 * after the other, the one-process reference alone moved 3.5-7.5 ms between runs of the same code).
 */
export async function manyUsersOneAndTwo(
  one: Profile,
  two: Profile,
  workers: number,
): Promise<{ one: ManyUsersResult; two: ManyUsersResult }> {
  const stops: (() => Promise<void>)[] = [];
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'openviber-bench-many-'));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const oneUsers = await seedSqlite(dataDir, one.users, APP_DEVICES);
    const single = await startOurs({ dataDir });
    stops.push(() => single.stop());

    const postgres = await startPostgres();
    stops.push(() => postgres.stop());
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const databaseUrl = await postgres.createDatabase();
    const storage = await PostgresStorage.connect(databaseUrl);
    let twoUsers: SeededUser[];
    try {
      twoUsers = await seedUsers(storage, two.users, APP_DEVICES);
    } finally {
      await storage.close();
    }
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url };

    const half: Profile = { ...one, durationMs: one.durationMs / 2 };
    const oneSpecs = specs(oneUsers, workspace, [single.wsUrl]);
    const first = await drive([single.pid()], oneSpecs, half, workers);
    // Each deployment alone on the machine in its windows: the one process is stopped while the two
    // run theirs, and the two are gone before the one's second half. Left up and idle beside a window,
    // a server that had just served 9,000 devices ran its full GC there (a traced run: an 84 ms
    // pause, and V8's helper threads on both cores) — the harness's doing, not either deployment's.
    const twoWindow = await single.stoppedWhile(async () => {
      const pair = await Promise.all([startOurs({ env }), startOurs({ env })]);
      try {
        return await drive(
          pair.map((s) => s.pid()),
          specs(
            twoUsers,
            workspace,
            pair.map((s) => s.wsUrl),
          ),
          two,
          workers,
        );
      } finally {
        await Promise.all(pair.map((s) => s.stop()));
      }
    });
    const second = await drive([single.pid()], oneSpecs, half, workers);
    return { one: summarize([first, second]), two: summarize([twoWindow]) };
  } finally {
    // Each is stopped even if one before it failed to stop.
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error(e));
  }
}
