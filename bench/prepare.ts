// Prepare overhead: a real Viber (`viber onboard` + `viber start`) prepares a binding of a local bare
// repository (file://) with a setup script, against `git clone` and the same script run by hand;
// then a no-change re-prepare (generation bump: fetch, skip setup, maintenance). Timed from the API
// call to the observation in the Viber's document.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readObservation, viberDocName } from '@openviber/shared';
import { api, connectPeer, signup, waitFor } from '../sync-server/testing/peers.ts';
import { now } from './report.ts';
import type { BenchServer } from './servers.ts';

const VIBER = resolve(fileURLToPath(import.meta.url), '../../daemon/bin/viber.js');
/** A setup script with output to log and some work on the checkout, as an install step has. */
export const SETUP_SCRIPT = [
  'for i in $(seq 1 2000); do echo "compiling module $i of 2000"; done',
  "find . -type f -not -path './.git/*' | sort | xargs cat | sha256sum > .setup-hash",
  'sleep 0.5',
].join('\n');

/** Null when the daemon is not there to run. */
export const daemonMissing = (): string | null =>
  existsSync(VIBER) ? null : 'daemon/bin/viber.js not found';

function makeRepo(root: string): string {
  const work = join(root, 'src');
  mkdirSync(work);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: work,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@x',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@x',
      },
    });
  git('init', '-q', '-b', 'main');
  for (let c = 0; c < 3; c++) {
    for (let f = 0; f < 100; f++) {
      mkdirSync(join(work, `pkg${f % 10}`), { recursive: true });
      writeFileSync(
        join(work, `pkg${f % 10}`, `file${f}.ts`),
        `// commit ${c}\n` + `export const value${f} = ${c};\n`.repeat(60),
      );
    }
    git('add', '-A');
    git('commit', '-q', '-m', `commit ${c}`);
  }
  execFileSync('git', ['clone', '-q', '--bare', work, join(root, 'repo.git')], { stdio: 'pipe' });
  return `file://${join(root, 'repo.git')}`;
}

function timeManual(root: string, url: string, round: number): number {
  const dir = join(root, `manual${round}`);
  const t0 = now();
  execFileSync('git', ['clone', '-q', '--branch', 'main', '--', url, dir], { stdio: 'pipe' });
  execFileSync('bash', ['-c', SETUP_SCRIPT], { cwd: dir, stdio: 'pipe' });
  return now() - t0;
}

export interface PrepareResult {
  prepareMs: number;
  manualMs: number;
  rePrepareMs: number;
}

export async function prepareOverhead(server: BenchServer, rounds: number): Promise<PrepareResult> {
  const root = mkdtempSync(join(tmpdir(), 'openviber-bench-prepare-'));
  let daemon: ChildProcess | null = null;
  const user = await signup(server.url, `benchprep${process.pid}x${Date.now().toString(36)}`);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api(server.url, method, path, { token: user.token, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const home = join(root, 'viber-home');
  let peer: ReturnType<typeof connectPeer> | null = null;
  try {
    const url = makeRepo(root);
    const { token } = await call('POST', '/api/vibers/onboarding-tokens');
    execFileSync(
      process.execPath,
      [VIBER, 'onboard', '--server', server.url, '--token', token, '--name', 'bench'],
      { env: { ...process.env, VIBER_HOME: home }, stdio: 'pipe' },
    );
    const { viberId } = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { viberId: string };
    let log = '';
    daemon = spawn(process.execPath, [VIBER, 'start'], {
      env: { ...process.env, VIBER_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor(
      async () =>
        ((await call('GET', '/api/vibers')) as { id: string; online: boolean }[]).some(
          (v) => v.id === viberId && v.online,
        ),
      'the Viber to come online',
      30_000,
    );
    peer = connectPeer(server.wsUrl, viberDocName(user.userId, viberId), user.token);
    await peer.synced;
    // Resolved at the update that brings the observation, not at the next poll: polling every 25 ms
    // added up to 25 ms to each figure (and rounded them to its steps).
    const observed = (bindingId: string, generation: number) =>
      new Promise<void>((resolve, reject) => {
        const doc = peer!.doc;
        const check = () => {
          const o = readObservation(doc, bindingId);
          if (!o || o.observedGeneration < generation) return;
          if (o.state === 'error') done(new Error(`prepare failed: ${o.lastError}\n${log.slice(-2000)}`));
          else if (o.state === 'ready') done();
        };
        const timer = setTimeout(
          () =>
            done(new Error(`timed out waiting for binding ${bindingId} ready at generation ${generation}`)),
          60_000,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          doc.off('update', check);
          if (error) reject(error);
          else resolve();
        };
        doc.on('update', check);
        check();
      });

    const prepare: number[] = [];
    const manual: number[] = [];
    const again: number[] = [];
    for (let r = 0; r < rounds; r++) {
      manual.push(timeManual(root, url, r));
      const env = await call('POST', '/api/environments', {
        name: `bench-${r}`,
        type: 'github',
        repoUrl: url,
        repoBranch: 'main',
        setupMode: 'manual',
        setupScript: SETUP_SCRIPT,
      });
      let t0 = now();
      const binding = await call('POST', `/api/environments/${env.id}/bindings`, {
        viberId,
        strategy: 'clone',
      });
      await observed(binding.id, 1);
      prepare.push(now() - t0);
      t0 = now();
      await call('POST', `/api/bindings/${binding.id}/prepare`);
      await observed(binding.id, 2);
      again.push(now() - t0);
    }
    return {
      prepareMs: Math.min(...prepare),
      manualMs: Math.min(...manual),
      rePrepareMs: Math.min(...again),
    };
  } finally {
    peer?.destroy();
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  }
}
