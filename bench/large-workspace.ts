// Large workspace: 1,000 environments and 10,000 tasks built with the shared accessors; its encoded
// size, how long the server takes to load it from storage, and how long a new peer takes to sync it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { createEnvironment, createTask, environmentCreateSchema } from '@openviber/shared';
import { connectPeer, waitFor } from '../sync-server/testing/peers.ts';
import { median, now } from './report.ts';
import { accounts, type BenchServer } from './servers.ts';

const COLD_APPLY = new URL('./cold-apply.ts', import.meta.url).pathname;
/** Restarts of ours, each timed by its first peer: a single cold sync moved by 100-300 ms between runs. */
/**
 * Restarts of ours, each followed by one fresh process applying the same bytes (the reference), so
 * both medians come from the same minutes: measured apart (3 and 3), the ratio moved 0.66-1.45×
 * between runs.
 */
const COLD_RESTARTS = 5;
export const ENVIRONMENTS = 1_000;
export const TASKS = 10_000;

export function buildWorkspace(environments = ENVIRONMENTS, tasks = TASKS): Y.Doc {
  const doc = new Y.Doc();
  const envIds: string[] = [];
  for (let i = 0; i < environments; i++) {
    const input = environmentCreateSchema.parse({
      name: `service-${i}`,
      description: `Environment ${i} of the benchmark workspace`,
      type: 'github',
      repoUrl: `https://github.com/acme/service-${i}.git`,
      repoBranch: 'main',
      setupScript: 'npm ci\nnpm run build',
      vars: { NODE_ENV: 'test', PORT: String(3000 + (i % 100)), REGION: 'eu-west-1' },
    });
    envIds.push(createEnvironment(doc, input, 1_700_000_000_000 + i));
  }
  for (let i = 0; i < tasks; i++) {
    createTask(
      doc,
      {
        environmentId: envIds[i % environments],
        title: `Task ${i}: fix the flaky test in module ${i % 97}`,
        viberId: '',
      },
      1_700_000_000_000 + i,
    );
  }
  return doc;
}

export interface LargeResult {
  encodedBytes: number;
  jsonBytes: number;
  /** In-process Y.applyUpdate of the encoded state (this process's JIT is warm from building it). */
  applyMs: number;
  /**
   * Y.applyUpdate of the same bytes in a fresh Node process, the floor of a restarted server's load
   * (ours only: one after each restart, median of COLD_RESTARTS).
   */
  coldApplyMs?: number;
  /** First peer after a restart: server loads from storage, then syncs (ours only; median of COLD_RESTARTS). */
  coldSyncMs?: number;
  /** A new peer while the document is loaded: median of several. */
  warmSyncMs: number;
}

async function timeSync(
  wsUrl: string,
  name: string,
  token: string,
): Promise<{ ms: number; peer: ReturnType<typeof connectPeer> }> {
  const t0 = now();
  const peer = connectPeer(wsUrl, name, token);
  await Promise.race([
    peer.synced,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('new peer did not sync the large workspace in 60 s')), 60_000),
    ),
  ]);
  return { ms: now() - t0, peer };
}

/** ms for a fresh Node process to apply the state in `file` once. */
const coldApply = (file: string): number =>
  Number(execFileSync(process.execPath, [COLD_APPLY, file], { encoding: 'utf8' }).trim());

export async function largeWorkspace(
  server: BenchServer,
  built: Y.Doc,
  newPeers: number,
): Promise<LargeResult> {
  const state = Y.encodeStateAsUpdate(built);
  const t0 = now();
  Y.applyUpdate(new Y.Doc(), state);
  const applyMs = now() - t0;
  const [account] = await accounts(server, 1);
  const name = `u/${account.userId}/workspace`;
  const writerDoc = new Y.Doc();
  Y.applyUpdate(writerDoc, state);
  const writer = connectPeer(server.wsUrl, name, account.token, writerDoc);
  const open: ReturnType<typeof connectPeer>[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'openviber-bench-apply-'));
  const stateFile = join(dir, 'state.bin');
  try {
    await writer.synced;
    await waitFor(
      () => !writer.provider.hasUnsyncedChanges,
      'the large workspace to reach the server',
      60_000,
    );
    let coldSyncMs: number | undefined;
    let coldApplyMs: number | undefined;
    if (server.kind === 'ours') {
      writer.destroy();
      const colds: number[] = [];
      const applies: number[] = [];
      writeFileSync(stateFile, state);
      for (let i = 0; i < COLD_RESTARTS; i++) {
        applies.push(coldApply(stateFile));
        // The previous first peer goes before the restart, or it would reconnect and load it first.
        open.splice(0).forEach((p) => p.destroy());
        await server.restart();
        const cold = await timeSync(server.wsUrl, name, account.token);
        colds.push(cold.ms);
        // Held open, so the new peers below find the document loaded.
        open.push(cold.peer);
        if (cold.peer.doc.getMap('tasks').size !== built.getMap('tasks').size)
          throw new Error('the reloaded workspace lost tasks');
      }
      coldSyncMs = median(colds);
      coldApplyMs = median(applies);
      if (process.env.BENCH_VERBOSE)
        console.error(
          `[large] first peer after each restart: ${colds.map((c) => c.toFixed(0)).join(', ')} ms`,
        );
    }
    const warm: number[] = [];
    for (let i = 0; i < newPeers; i++) {
      const { ms, peer } = await timeSync(server.wsUrl, name, account.token);
      warm.push(ms);
      peer.destroy();
    }
    return {
      encodedBytes: state.length,
      jsonBytes: JSON.stringify(built.toJSON()).length,
      applyMs,
      coldApplyMs,
      coldSyncMs,
      warmSyncMs: median(warm),
    };
  } finally {
    writer.destroy();
    open.forEach((p) => p.destroy());
    rmSync(dir, { recursive: true, force: true });
  }
}
