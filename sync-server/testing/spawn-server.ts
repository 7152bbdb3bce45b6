// Test harness: runs the real sync server as a child process (`node sync-server/src/main.ts`) on a free
// port with its own DATA_DIR, and registers nothing globally: callers stop it (or use `useServer`).
// Other packages' tests may import this file; it talks to the server only through its process and port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = resolve(fileURLToPath(import.meta.url), '../../src/main.ts');

/**
 * The V8 flags the server runs with (`npm start` and the README's commands pass the same):
 * - 8 MB semi-spaces for the young generation instead of the up to 64 MB Node 24 grows them to
 *   here. Each scavenge stops the event loop for as long as it copies survivors; with 9,000 sockets
 *   a scavenge of a 64 MB semi-space took 20-60 ms every ~1.3 s — on its own a p99 of 30-40 ms for
 *   edits — and of an 8 MB one 3-5 ms, 8 times as often: a quarter more GC time, a smaller heap.
 * - The old generation may grow to 3 times what the last full GC kept before the next one. V8 sizes
 *   it from how fast it collects against how fast the server promotes: a server promoting ~3 MB/s
 *   into a ~120 MB heap it marks in ~90 ms got 1.3 times, a full GC every 10-12 s per process, each
 *   ~90 ms of the main thread and ~200 ms of helper threads taking the cores the other processes
 *   relay on (--trace-gc of the many-users bench on 2 processes). At 3 times: one every ~75 s there,
 *   for a heap up to 3 times the live data (~350 MB per process at 4,500 sockets).
 * (bench/ANALYSIS.md, "Many users" and "2 processes".)
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=200'];

export interface SpawnedServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/sync */
  wsUrl: string;
  port: number;
  /** The server process's id (for /proc/<pid>/status in memory checks). */
  pid: number;
  dataDir: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM and wait for exit (pending stores are flushed). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (nothing is flushed). */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops the process and removes the data dir if it created it. */
  dispose(): Promise<void>;
}

export interface SpawnOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
}

/** Starts the server; resolves once it prints its listening line. */
export async function spawnServer(options: SpawnOptions = {}): Promise<SpawnedServer> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'openviber-server-'));
  let log = '';
  let child: ChildProcess;
  let port = options.port ?? 0;

  const start = () =>
    new Promise<void>((resolveStart, reject) => {
      const from = log.length;
      child = spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN], {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          // The server stops when our end of its stdin closes, so it never outlives a crashed test.
          OPENVIBER_EXIT_WITH_STDIN: '1',
          ...options.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(log.slice(from));
        if (m && port === 0) port = Number(m[1]);
        if (m) resolveStart();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`sync server exited with ${code} before listening:\n${log}`)),
      );
    });

  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill(signal);
    });

  await start();
  const server: SpawnedServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${port}/sync`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child.pid!;
    },
    dataDir,
    output: () => log,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    restart: async () => {
      await waitExit('SIGTERM');
      await start();
    },
    dispose: async () => {
      await waitExit('SIGTERM');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
