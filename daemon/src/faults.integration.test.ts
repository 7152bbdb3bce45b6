// [V1] [V2] A seeded mix of faults — the server killed (-9), the Viber killed (-9) or stopped
// (SIGTERM), at random moments while messages run — never runs a message twice, and every message
// that reached the task document ends in a final state. FAULT_SEED=n replays one sequence.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRun, listMessages, runOutputDocName, taskDocName, workspaceDocName } from '@openviber/shared';
import { fixturePath } from '../test/fixture-files.ts';
import { scenario } from '../test/scenario.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const SEED = Number(process.env.FAULT_SEED) || 20261125;
const ROUNDS = 10;
/** Server killed (-9) alone; the Viber killed or stopped alone; both (the Viber stopped or killed while
 * the server is down: the case that ran messages twice, so drawn more often). */
const FAULTS = ['server-kill', 'viber-kill', 'viber-term', 'both', 'both', 'both-kill', 'both-kill'] as const;
const FINAL = new Set(['completed', 'error', 'cancelled', 'interrupted']);

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const executions = (marker: string) =>
  existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0;

describe(`faults at random moments (FAULT_SEED=${SEED})`, async () => {
  const server = await useServer();
  const s = await scenario(server);
  const { envId, bindingId } = await s.environment({ type: 'manual' });
  await s.prepared(bindingId);

  it(
    '[V2] no message runs twice; every message the task holds ends final',
    { timeout: 360_000 },
    async () => {
      const rand = random(SEED);
      const dir = tempDir();
      const taskId = await s.task(envId);
      // The user's device holds the workspace and the task, as the app does: it re-sends what a
      // killed server lost (a message, a task's updatedAt bump).
      await s.peer.doc(workspaceDocName(s.user.userId));
      const taskDoc = await s.peer.doc(taskDocName(s.user.userId, taskId));
      const markers = new Map<string, string>();
      const faults: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < 2; i++) {
          const marker = join(dir, `r${round}m${i}`);
          const sleep = (rand() * 0.6).toFixed(2);
          markers.set(
            await s.send(taskId, `bash ${fixturePath('append-marker.sh')} ${marker}; sleep ${sleep}`),
            marker,
          );
        }
        // The fault's moment: once the round's first message ran (if the server kept it: up to 5 s),
        // plus a delay drawn from the seed.
        await waitFor(() => executions(join(dir, `r${round}m0`)) > 0 || null, {
          what: 'the round to start',
          timeoutMs: 5_000,
        }).catch(() => {});
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 700)));
        const fault = FAULTS[Math.floor(rand() * FAULTS.length)];
        faults.push(fault);
        if (fault !== 'viber-kill' && fault !== 'viber-term') await server.kill();
        if (fault === 'viber-kill' || fault === 'both-kill') await s.viber.kill();
        if (fault === 'viber-term' || fault === 'both') await s.viber.stop();
        if (fault !== 'viber-kill' && fault !== 'viber-term') await server.restart();
        if (fault !== 'server-kill') s.viber.start();
      }
      const probe = await s.send(taskId, 'echo settled');
      await s.runState(taskId, probe, ['completed']);
      const runDoc = await s.peer.doc(runOutputDocName(s.user.userId, s.viber.config.viberId, taskId));
      const held = listMessages(taskDoc).map((m) => m.id as string);
      await waitFor(() => held.every((id) => FINAL.has(getRun(runDoc, id)?.state ?? '')), {
        what: `every message final (faults: ${faults.join(', ')})`,
      });
      for (const [id, marker] of markers) {
        expect(executions(marker), `message ${id} (faults: ${faults.join(', ')})`).toBeLessThanOrEqual(1);
        if (getRun(runDoc, id)?.state === 'completed') expect(executions(marker)).toBe(1);
      }
    },
  );
});
