// The two servers every figure compares: ours (the real sync server as a child process via the test
// harness: real auth, real SQLite) and the reference, a bare Hocuspocus in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS, spawnServer } from '../sync-server/testing/spawn-server.ts';
import { signup } from '../sync-server/testing/peers.ts';

const BARE = resolve(fileURLToPath(import.meta.url), '../bare-server.ts');

export interface BenchServer {
  kind: 'ours' | 'bare';
  wsUrl: string;
  /** http base URL (ours only serves the API). */
  url: string;
  pid(): number;
  /** Server-side resident memory in bytes, from /proc/<pid>/status. */
  rss(): number;
  /** Stops and starts it again on the same port (and, for ours, the same data). */
  restart(hooks?: { stopped?: () => void }): Promise<void>;
  stop(): Promise<void>;
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** The harness does not expose the child's pid: find the node process whose DATA_DIR is ours. */
function findPid(dataDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes('sync-server/src/main.ts')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`))
        return Number(entry);
    } catch {
      /* gone, or not ours to read */
    }
  }
  throw new Error(`sync server process for ${dataDir} not found`);
}

/** Limits a public server keeps that the bench's own load trips over, raised via the environment. */
export const BENCH_SERVER_ENV = {
  // Thousands of accounts from one address: above the signup throttle a public server keeps.
  SIGNUPS_PER_HOUR: '1000000',
  // Hundreds of websockets connecting at once from one address (the reconnect storm: all of them).
  MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '1000000',
  MAX_UNAUTHENTICATED_SOCKETS: '1000000',
  // ...each a plain HTTP connection until its upgrade.
  MAX_HTTP_CONNECTIONS_PER_ADDRESS: '1000000',
  MAX_HTTP_CONNECTIONS: '1000000',
  // A thousand websockets per user (connections: 10 users hold 10,000).
  MAX_SOCKETS_PER_USER: '1000000',
};

export interface OurServer extends BenchServer {
  /** Stopped while `during` runs (nothing of it left on the machine), then started again as restart does. */
  stoppedWhile<T>(during: () => Promise<T>): Promise<T>;
}

export async function startOurs(
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<OurServer> {
  // BENCH_SERVER_PROFILE=<dir>: each of our server processes writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_SERVER_PROFILE;
  const profileEnv: Record<string, string> = profile
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profile}` }
    : {};
  const server = await spawnServer({
    env: { ...BENCH_SERVER_ENV, ...profileEnv, ...options.env },
    dataDir: options.dataDir,
  });
  let pid = findPid(server.dataDir);
  return {
    kind: 'ours',
    get wsUrl() {
      return server.wsUrl;
    },
    get url() {
      return server.url;
    },
    pid: () => pid,
    rss: () => rssOf(pid),
    async restart(hooks) {
      await server.stop();
      hooks?.stopped?.();
      await server.restart();
      pid = findPid(server.dataDir);
    },
    async stoppedWhile(during) {
      await server.stop();
      try {
        return await during();
      } finally {
        await server.restart();
        pid = findPid(server.dataDir);
      }
    },
    stop: () => server.dispose(),
  };
}

export async function startBare(): Promise<BenchServer> {
  let port = 0;
  let child!: ChildProcess;
  const start = () =>
    new Promise<void>((done, fail) => {
      // With ours' V8 flags (its young-generation size): the comparison is of the servers' code.
      // BENCH_BARE_PROFILE=<dir>: the bare reference writes its CPU profile there too, to compare.
      const profile = process.env.BENCH_BARE_PROFILE;
      const profileFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
      child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...profileFlags, BARE], {
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) {
          port = Number(m[1]);
          done();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => fail(new Error(`bare server exited with ${code}: ${out}`)));
    });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  await start();
  return {
    kind: 'bare',
    get wsUrl() {
      return `ws://127.0.0.1:${port}/`;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    pid: () => child.pid!,
    rss: () => rssOf(child.pid!),
    async restart(hooks) {
      await stop();
      hooks?.stopped?.();
      await start();
    },
    stop,
  };
}

export interface Account {
  userId: string;
  token: string;
}

/** Accounts for peers: real signups on ours; made-up ids and tokens on the bare server, which checks nothing. */
export async function accounts(server: BenchServer, count: number): Promise<Account[]> {
  const out: Account[] = [];
  for (let i = 0; i < count; i++) {
    if (server.kind === 'bare') out.push({ userId: `usr_bench${i}`, token: 'none' });
    else {
      const { userId, token } = await signup(
        server.url,
        `bench${process.pid}x${Date.now().toString(36)}x${i}`,
      );
      out.push({ userId, token });
    }
  }
  return out;
}
