// Test fixtures: a real PostgreSQL and a real Redis from Debian's packages, each started by the
// test in its own temp folder on a free loopback port, and removed by `stop()`. Nothing here uses
// a system-wide instance (an apt install may have started one on 5432/6379; we never touch it).
// Missing binaries are an error with the install command, never a silent skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import * as Y from 'yjs';

const MISSING_POSTGRES =
  'PostgreSQL server binaries (initdb, postgres) were not found in /usr/lib/postgresql/*/bin or on PATH. ' +
  'Install them with `apt-get install -y postgresql` (.ci/run does this).';
const MISSING_REDIS =
  'redis-server was not found on PATH. Install it with `apt-get install -y redis-server` (.ci/run does this).';

export interface RunningPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres — the maintenance database. */
  url: string;
  port: number;
  /** Creates a fresh, empty database and returns its URL (about 0.3 s). */
  createDatabase(name?: string): Promise<string>;
  /** Creates a fresh, empty schema and returns a URL whose connections use only it (milliseconds). */
  createSchema(name?: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export interface RunningRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the caller binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The directory holding initdb and postgres: the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter(
        (v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')),
      )
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = onPath('initdb');
  if (initdb && existsSync(join(initdb, '..', 'postgres'))) return join(initdb, '..');
  throw new Error(MISSING_POSTGRES);
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created by the Debian package). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      `running as root, PostgreSQL needs the 'postgres' user, which does not exist. ${MISSING_POSTGRES}`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/** Children still running when the test process exits (a crash, a timeout) are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function startChild(command: string, args: string[], user?: { uid: number; gid: number }): Child {
  let log = '';
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
    env: { ...process.env, LC_ALL: 'C' },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      log += `\n${e.message}`;
      resolve();
    });
  });
  return { process: child, output: () => log, exited };
}

/** Polls `ready` until it resolves true; fails at once if the process exits, or after `timeoutMs`. */
async function waitReady(name: string, child: Child, ready: () => Promise<boolean>, timeoutMs = 30_000) {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${child.output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: Child, signal: NodeJS.Signals) {
  const { process: p } = child;
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill(signal);
  const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

/** Starts a throwaway PostgreSQL cluster (no fsync: test data only) on a free loopback port. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'openviber-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  try {
    const init = spawnSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      {
        encoding: 'utf8',
        ...user,
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    if (init.status !== 0)
      throw new Error(`initdb failed (${init.status ?? init.error?.message}):\n${init.stdout}${init.stderr}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // prettier-ignore
    const child = startChild(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'logging_collector=off',
    ], user);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const canConnect = async () => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => {});
      }
    };
    try {
      await waitReady('postgres', child, canConnect);
    } catch (error) {
      await stopChild(child, 'SIGKILL');
      // Another process may have taken the port between freePort() and bind: try another one.
      if (attempt < 3 && /could not bind|Address already in use/.test(child.output())) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }

    let counter = 0;
    const admin = async (name: string, sql: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad name '${name}'`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    return {
      url,
      port,
      output: child.output,
      async createDatabase(name = `test_${process.pid}_${++counter}`) {
        await admin(name, `CREATE DATABASE ${name}`);
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async createSchema(name = `test_${process.pid}_${++counter}`) {
        await admin(name, `CREATE SCHEMA ${name}`);
        return `${url}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
      },
      async stop() {
        // SIGINT is PostgreSQL's "fast" shutdown: it ends open sessions instead of waiting for them.
        await stopChild(child, 'SIGINT');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** Starts a throwaway redis-server (no persistence) on a free loopback port. */
export async function startRedis(): Promise<RunningRedis> {
  const redisServer =
    onPath('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
  if (!redisServer) throw new Error(MISSING_REDIS);
  const dir = mkdtempSync(join(tmpdir(), 'openviber-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // prettier-ignore
    const child = startChild(redisServer, [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--logfile', '',
    ]);
    try {
      await waitReady('redis-server', child, async () => /Ready to accept connections/.test(child.output()));
    } catch (error) {
      await stopChild(child, 'SIGKILL');
      if (attempt < 3 && /Address already in use/.test(child.output())) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      output: child.output,
      async stop() {
        await stopChild(child, 'SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** A document as stored in the database at `url` right now, read by a client of its own (null when no row). */
export async function storedDocument(url: string, name: string): Promise<Y.Doc | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ state: Buffer }>('SELECT state FROM documents WHERE name = $1', [
      name,
    ]);
    if (!rows[0]) return null;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(rows[0].state));
    return doc;
  } finally {
    await client.end();
  }
}
