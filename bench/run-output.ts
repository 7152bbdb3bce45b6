// Run output through a real Viber: a task message printing 50 MB as fast as it can (its run time
// against the same command to /dev/null, and how soon after its end an app peer has the bounded
// output), and a message printing one line every 10 ms (print → app peer, per line).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FINAL_RUN_STATES,
  getRun,
  readObservation,
  runOutputDocName,
  viberDocName,
  type RunRecord,
} from '@openviber/shared';
import { api, connectPeer, signup, waitFor } from '../sync-server/testing/peers.ts';
import { now, percentile, wallClock } from './report.ts';
import type { BenchServer } from './servers.ts';

const VIBER = resolve(fileURLToPath(import.meta.url), '../../daemon/bin/viber.js');
const LINE = 'build step %g: compiled src/components/widget.tsx in 12 ms';

/** A command printing `mb` MB of build-like lines as fast as `seq` can. */
export const floodCommand = (mb: number) => {
  const perLine = LINE.replace('%g', '1000000').length + 1;
  return `seq -f '${LINE}' 1 ${Math.round((mb * 1024 * 1024) / perLine)}`;
};
/** One line every 10 ms, stamped with the shell's clock at print time (no process per stamp). */
export const tickCommand = (lines: number) =>
  `for i in $(seq 1 ${lines}); do printf 'tick %d %s\\n' "$i" "$EPOCHREALTIME"; sleep 0.01; done`;

export interface RunOutputResult {
  floodMs: number;
  devNullMs: number;
  /** From the run's end (endedAt) until the app peer had the final state and the last line. */
  floodVisibleMs: number;
  floodOutputChars: number;
  tickP50: number;
  tickP99: number;
  tickLines: number;
}

export async function runOutput(
  server: BenchServer,
  floodMb: number,
  ticks: number,
): Promise<RunOutputResult> {
  const root = mkdtempSync(join(tmpdir(), 'openviber-bench-output-'));
  const user = await signup(server.url, `benchout${process.pid}x${Date.now().toString(36)}`);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api(server.url, method, path, { token: user.token, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const home = join(root, 'viber-home');
  let daemon: ChildProcess | null = null;
  const peers: ReturnType<typeof connectPeer>[] = [];
  let log = '';
  try {
    const { token } = await call('POST', '/api/vibers/onboarding-tokens');
    execFileSync(
      process.execPath,
      [VIBER, 'onboard', '--server', server.url, '--token', token, '--name', 'bench'],
      { env: { ...process.env, VIBER_HOME: home }, stdio: 'pipe' },
    );
    const { viberId } = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { viberId: string };
    // BENCH_DAEMON_PROFILE=<dir>: the Viber writes a V8 CPU profile there when it stops.
    const profile = process.env.BENCH_DAEMON_PROFILE;
    const profileArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
    daemon = spawn(process.execPath, [...profileArgs, VIBER, 'start'], {
      env: { ...process.env, VIBER_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const viberPeer = connectPeer(server.wsUrl, viberDocName(user.userId, viberId), user.token);
    peers.push(viberPeer);
    await viberPeer.synced;
    const env = await call('POST', '/api/environments', {
      name: 'bench-output',
      type: 'manual',
      setupMode: 'manual',
    });
    const binding = await call('POST', `/api/environments/${env.id}/bindings`, {
      viberId,
      strategy: 'clone',
    });
    await waitFor(
      () => {
        const o = readObservation(viberPeer.doc, binding.id);
        if (o?.state === 'error') throw new Error(`prepare failed: ${o.lastError}`);
        return o?.state === 'ready';
      },
      'the binding to be ready',
      60_000,
    );
    const task = await call('POST', '/api/tasks', { environmentId: env.id, title: 'output', viberId });
    const runPeer = connectPeer(server.wsUrl, runOutputDocName(user.userId, viberId, task.id), user.token);
    peers.push(runPeer);
    await runPeer.synced;

    /** Sends a message; resolves with the final run record and when the peer first saw it final. */
    const send = async (text: string, onUpdate?: (run: RunRecord | null) => void) => {
      const message = await call('POST', `/api/tasks/${task.id}/messages`, { text });
      let finalAt = 0;
      const listener = () => {
        const run = getRun(runPeer.doc, message.id);
        onUpdate?.(run);
        // On the clock the Viber stamps endedAt with.
        if (!finalAt && run && FINAL_RUN_STATES.has(run.state)) finalAt = wallClock();
      };
      runPeer.doc.on('update', listener);
      try {
        await waitFor(() => finalAt > 0, `message '${text.slice(0, 40)}' to end`, 120_000);
      } finally {
        runPeer.doc.off('update', listener);
      }
      const run = getRun(runPeer.doc, message.id)!;
      if (run.state !== 'completed')
        throw new Error(`run ${run.state} (exit ${run.exitCode}): ${run.error}\n${log.slice(-2000)}`);
      return { run, finalAt };
    };

    await send('echo warm-up');
    const flood = floodCommand(floodMb);
    const lastLine = execFileSync('bash', ['-c', `${flood} | tail -n 1`], { encoding: 'utf8' }).trim();
    const devNull: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = now();
      execFileSync('bash', ['--noprofile', '--norc', '-c', `${flood} > /dev/null`]);
      devNull.push(now() - t0);
    }
    // Best of 3, as the reference: the same statistic on both sides of the ratio.
    const floods: { ms: number; visibleMs: number; chars: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const { run, finalAt } = await send(flood);
      if (!run.output.trimEnd().endsWith(lastLine))
        throw new Error(`the peer's output does not end with the last line '${lastLine}'`);
      floods.push({
        ms: run.endedAt - run.startedAt,
        visibleMs: finalAt - run.endedAt,
        chars: run.output.length,
      });
    }

    const seen = new Set<number>();
    const tickMs: number[] = [];
    const stampRe = /tick (\d+) (\d+)\.(\d+)/g;
    let scanned = 0;
    await send(tickCommand(ticks), (r) => {
      if (!r) return;
      const t = wallClock();
      // Output only grows here (far below the bound): read the new part only.
      const fresh = r.output.slice(Math.max(0, scanned - 64));
      scanned = r.output.length;
      for (const m of fresh.matchAll(stampRe)) {
        const i = Number(m[1]);
        if (seen.has(i)) continue;
        seen.add(i);
        tickMs.push(t - (Number(m[2]) * 1000 + Number(`0.${m[3]}`) * 1000));
      }
    });
    return {
      floodMs: Math.min(...floods.map((f) => f.ms)),
      devNullMs: Math.min(...devNull),
      // The slowest of the 3: the output must reach the app within 200 ms after every one.
      floodVisibleMs: Math.max(...floods.map((f) => f.visibleMs)),
      floodOutputChars: floods[0].chars,
      tickP50: percentile(tickMs, 50),
      tickP99: percentile(tickMs, 99),
      tickLines: tickMs.length,
    };
  } finally {
    peers.forEach((p) => p.destroy());
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  }
}
