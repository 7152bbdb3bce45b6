// The package the server serves, installed as a user without a checkout would: the onboarding command
// the API returns, run by /bin/sh on a "clean machine" — a temp HOME and npm cache, and a PATH holding
// only node (the oldest we can find, the system's 20 here), npm, npx, git, sh (npx runs bins through
// sh) and bash (setup scripts and task messages run in it). The npm registry points at a closed port:
// the package must need nothing from it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '@openviber/shared/crypto';
import { spawnServer, type SpawnedServer } from '../../sync-server/testing/spawn-server.ts';
import { PACKAGE_NODE_RANGE, buildIdPath, packDaemon } from '../scripts/pack.ts';
import { makeRepo } from '../test/git-repo.ts';
import { call, ok, signupUser } from '../test/server-api.ts';
import { tempDir } from '../test/temp-dir.ts';
import { waitFor } from '../test/wait-for.ts';

/** The first `name` on PATH outside node_modules (the machine's own, not the npm `node` package). */
function systemBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

/** A port nothing listens on: npm's registry, so any registry request fails at once. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the daemon package served at /viber.tgz', () => {
  let server: SpawnedServer;
  let user: { token: string; userId: string };
  let cleanEnv: Record<string, string>;
  let nodeVersion: string;
  let tarball: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    tarball = await packDaemon(join(tempDir('viber-pack-out-'), 'viber.tgz'));
    server = await spawnServer({ env: { VIBER_PACKAGE: tarball } });
    user = await signupUser(server.url);

    const machine = tempDir('viber-clean-machine-');
    const bin = join(machine, 'bin');
    mkdirSync(bin);
    const node = systemBinary('node') ?? process.execPath;
    const tools: Record<string, string | undefined> = {
      node,
      npm: systemBinary('npm'),
      npx: systemBinary('npx'),
      git: systemBinary('git'),
      sh: systemBinary('sh'),
      bash: systemBinary('bash'),
    };
    for (const [name, target] of Object.entries(tools)) {
      if (!target) throw new Error(`this machine has no ${name} on PATH outside node_modules`);
      symlinkSync(target, join(bin, name));
    }
    mkdirSync(join(machine, 'home'));
    mkdirSync(join(machine, 'work'));
    cleanEnv = {
      PATH: bin,
      HOME: join(machine, 'home'),
      npm_config_registry: `http://127.0.0.1:${await closedPort()}/`,
      npm_config_fetch_retries: '0',
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      // The daemon stops when the test's end of its stdin closes, even if the test is killed.
      OPENVIBER_EXIT_WITH_STDIN: '1',
    };
    nodeVersion = spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
    return () => server.dispose();
  });
  afterAll(() => {
    for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  });

  /** Runs a shell command line on the clean machine, in its own process group. */
  const sh = (line: string) => {
    const child = spawn('/bin/sh', ['-c', line], {
      cwd: join(cleanEnv.HOME, '..', 'work'),
      env: cleanEnv,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
    const exited = new Promise<Run>((done) =>
      child.on('close', (code) => {
        children.delete(child);
        run.code = code;
        done(run);
      }),
    );
    return { child, run, exited };
  };

  it('[C3] serves a gzip tarball with an ETag and revalidation, and 304 when unchanged', async () => {
    const res = await fetch(`${server.url}/viber.tgz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const again = await fetch(`${server.url}/viber.tgz`, {
      headers: { 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it(`[C3] onboards and starts a Viber with only Node ${PACKAGE_NODE_RANGE}, npm and git: the command the API returns onboards, the daemon prepares and runs a task; no checkout, no registry`, async () => {
    const { command } = await ok(server.url, 'POST', '/api/vibers/onboarding-tokens', user.token, {
      name: 'clean machine',
    });
    expect(command).toMatch(
      new RegExp(
        `^npx --yes ${server.url}/viber\\.tgz onboard --server ${server.url} --token \\S+ --name 'clean machine'$`,
      ),
    );
    const onboarded = await sh(command).exited;
    expect(onboarded.stderr + onboarded.stdout).toContain('Onboarded');
    expect(onboarded.code).toBe(0);
    // Default VIBER_HOME: ~/.openviber under the clean machine's HOME.
    const config = JSON.parse(readFileSync(join(cleanEnv.HOME, '.openviber', 'config.json'), 'utf8'));
    expect(onboarded.stdout).toContain(await keyFingerprint(config.publicKey));
    const startCommand = `npx --yes ${server.url}/viber.tgz start`;
    expect(onboarded.stdout).toContain(`Then run: ${startCommand}`);

    const daemon = sh(startCommand);
    const online = async () =>
      (await call(server.url, 'GET', '/api/vibers', user.token)).body.find(
        (v: { id: string }) => v.id === config.viberId,
      )?.online === true;
    await waitFor(online, { what: `the packaged Viber online (node ${nodeVersion})`, timeoutMs: 60_000 });
    expect(daemon.run.stdout).toContain('connected');

    // The packaged daemon does real work on this Node: clone, setup script, a task message.
    const repo = makeRepo({ 'README.md': 'from the repo\n' });
    const api = <T = any>(method: string, path: string, body?: unknown) =>
      ok<T>(server.url, method, path, user.token, body);
    const env = await api('POST', '/api/environments', {
      name: 'packaged',
      type: 'github',
      repoUrl: repo.url,
      setupMode: 'manual',
      setupScript: 'echo "set up on $(node --version)"',
    });
    await api('POST', `/api/environments/${env.id}/bindings`, { viberId: config.viberId, strategy: 'clone' });
    const binding = await waitFor(
      async () => {
        const [b] = await api('GET', `/api/environments/${env.id}/bindings`);
        return b?.status === 'ready' || b?.status === 'error' ? b : null;
      },
      { what: 'prepared by the packaged Viber', timeoutMs: 60_000 },
    );
    expect(binding).toMatchObject({ status: 'ready' });
    const task = await api('POST', '/api/tasks', {
      environmentId: env.id,
      title: 't',
      viberId: config.viberId,
    });
    await api('POST', `/api/tasks/${task.id}/messages`, { text: 'node --version; echo "$(< README.md)"' });
    const [run] = await waitFor(
      async () => {
        const { runs } = await api('GET', `/api/tasks/${task.id}`);
        return runs[0]?.state === 'completed' || runs[0]?.state === 'error' ? runs : null;
      },
      { what: 'task message run by the packaged Viber', timeoutMs: 60_000 },
    );
    expect(run, JSON.stringify(run)).toMatchObject({ state: 'completed' });
    expect(JSON.stringify(run)).toContain(nodeVersion);
    expect(JSON.stringify(run)).toContain('from the repo');

    const status = await sh(`npx --yes ${server.url}/viber.tgz status`).exited;
    expect(status.stdout).toMatch(/Daemon:\s+running/);
    expect(status.stdout).toContain('reachable');
    expect(status.code).toBe(0);

    // Ctrl-C in the terminal signals the whole process group: npx, sh and the daemon.
    process.kill(-daemon.child.pid!, 'SIGINT');
    await daemon.exited;
    expect(daemon.run.stdout).toContain('stopped');
    expect(existsSync(join(cleanEnv.HOME, '.openviber', 'daemon.pid'))).toBe(false);
    await waitFor(async () => !(await online()), { what: 'offline after Ctrl-C' });
    expect(daemon.run.stdout).not.toContain('another Viber package');
    console.log(`packaged Viber ran on node ${nodeVersion}`);

    // The server is upgraded (another build beside a rebuilt tarball); npx still runs the cached
    // package for that URL, which notices and says how to update.
    const served = (await fetch(`${server.url}/viber.tgz`, { method: 'HEAD' })).headers.get('x-viber-build');
    expect(served).toMatch(/^[0-9a-f]{16}$/);
    writeFileSync(buildIdPath(tarball), 'feedfacefeedface\n');
    utimesSync(tarball, new Date(), new Date(Date.now() + 5_000));
    const outdated = sh(startCommand);
    await waitFor(() => outdated.run.stdout.includes('another Viber package'), { what: 'update notice' });
    expect(outdated.run.stdout).toContain(
      `(build feedfacefeedface; this is ${served}): to update, stop this Viber, run rm -rf ${join(cleanEnv.HOME, '.npm', '_npx')}/`,
    );
    expect(outdated.run.stdout).toContain(`then ${startCommand}`);
    process.kill(-outdated.child.pid!, 'SIGINT');
    await outdated.exited;
  });
});
