// [V1] [V2] A seeded mix of faults — the server killed (-9), the Viber killed (-9) or stopped
// (SIGTERM), at random moments while messages run and a device edits — loses nothing that was
// acknowledged and runs no message twice: every message the API acknowledged (201) is in the stored
// task document and ends final, at most once (exactly once when completed), and every key a device
// wrote (connected, or offline while the server was down; the device disconnecting, reloading from
// its own durable copy and reconnecting across the kills) is in the store after the last restart.
// FAULT_SEED=n replays one sequence.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createEnvironment,
  environmentCreateSchema,
  getRun,
  patchEnvironment,
  runOutputDocName,
  taskDocName,
  validate,
  workspaceDocName,
} from '@openviber/shared';
import { devicePeer } from '../test/device-peer.ts';
import { fixturePath } from '../test/fixture-files.ts';
import { scenario } from '../test/scenario.ts';
import { call } from '../test/server-api.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const SEED = Number(process.env.FAULT_SEED) || 20261125;
const ROUNDS = 10;
/** Rounds stop starting after this long, so a loaded machine still ends within the test's timeout. */
const ROUNDS_BUDGET_MS = 30_000;
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`faults at random moments (FAULT_SEED=${SEED})`, async () => {
  const server = await useServer();
  const s = await scenario(server);
  const { envId, bindingId } = await s.environment({ type: 'manual' });
  await s.prepared(bindingId);

  it(
    '[V1] [V2] every acknowledged message ends final and runs at most once; every key a device wrote is stored',
    { timeout: 90_000 },
    async () => {
      const rand = random(SEED);
      const chance = (p: number) => rand() < p;
      const dir = tempDir();
      const taskId = await s.task(envId);
      const { userId } = s.user;
      // The user's device holds the task document, as the app does: it re-sends what a killed server lost.
      await s.peer.doc(taskDocName(userId, taskId));
      // Another device holds the workspace with its own durable copy and edits it across the faults.
      const device = devicePeer(server.wsUrl, s.user.token, workspaceDocName(userId));
      await device.connect();
      const input = validate(environmentCreateSchema, { name: 'device notes', type: 'manual' });
      if (!input.ok) throw input.error;
      const notesId = createEnvironment(device.doc(), input.value);
      const written: Record<string, string> = {};
      const write = (key: string) => {
        written[key] = String(Object.keys(written).length);
        // The environment is in the device's copy since it created it: a copy that lost it lost edits.
        if (!patchEnvironment(device.doc(), notesId, { vars: { [key]: written[key] } }))
          throw new Error(`the device's own copy lost the environment it created (before ${key})`);
      };

      /** Message id → marker file; `acknowledged` holds the ids the API answered 201 for. */
      const markers = new Map<string, string>();
      const acknowledged: string[] = [];
      const post = async (marker: string, delay: string) => {
        const text = `bash ${fixturePath('append-marker.sh')} ${marker}; sleep ${delay}`;
        try {
          const res = await call(server.url, 'POST', `/api/tasks/${taskId}/messages`, s.user.token, { text });
          if (res.status !== 201) return;
          markers.set(res.body.id, marker);
          acknowledged.push(res.body.id);
        } catch {
          // the server died under the request: not acknowledged (it may still have been stored)
        }
      };

      const faults: string[] = [];
      const started = Date.now();
      for (let round = 0; round < ROUNDS && Date.now() - started < ROUNDS_BUDGET_MS; round++) {
        if (!device.connected) void device.connect();
        write(`r${round}_a`);
        for (let i = 0; i < 2; i++) await post(join(dir, `r${round}m${i}`), (rand() * 0.6).toFixed(2));
        // The fault's moment: once the round's first message ran (if the server kept it: up to 5 s),
        // plus a delay drawn from the seed.
        await waitFor(() => executions(join(dir, `r${round}m0`)) > 0 || null, {
          what: 'the round to start',
          timeoutMs: 5_000,
        }).catch(() => {});
        await sleep(Math.floor(rand() * 700));
        // A device edit just before the fault, often acknowledged (from the server's memory) first.
        write(`r${round}_b`);
        if (device.connected && chance(0.6))
          await waitFor(() => device.settled(), { what: 'the edit acknowledged', timeoutMs: 2_000 }).catch(
            () => {},
          );
        // A message sent as the fault strikes: counted only if the API acknowledged it.
        const racing = post(join(dir, `r${round}m2`), '0');
        await sleep(Math.floor(rand() * 40));
        const fault = FAULTS[Math.floor(rand() * FAULTS.length)];
        const serverDown = fault !== 'viber-kill' && fault !== 'viber-term';
        faults.push(fault);
        if (serverDown) await server.kill();
        // The device goes away (sometimes dropping its memory too, as a closed tab) or stays and retries.
        if (chance(0.5)) device.disconnect({ reload: chance(0.5) });
        if (fault === 'viber-kill' || fault === 'both-kill') await s.viber.kill();
        if (fault === 'viber-term' || fault === 'both') await s.viber.stop();
        // Typed while the server is down (or, for the Viber's faults, while it is up).
        write(`r${round}_c`);
        await racing;
        if (serverDown) await server.restart();
        if (fault !== 'server-kill') s.viber.start();
      }
      const trace = `faults: ${faults.join(', ')}`;

      await device.connect();
      const probe = await s.send(taskId, 'echo settled');
      await s.runState(taskId, probe, ['completed']);
      const runDoc = await s.peer.doc(runOutputDocName(userId, s.viber.config.viberId, taskId));
      const notFinal = () => acknowledged.filter((id) => !FINAL.has(getRun(runDoc, id)?.state ?? ''));
      await waitFor(() => notFinal().length === 0, { what: 'every acknowledged message final' }).catch(
        () => {},
      );
      expect(notFinal(), `acknowledged messages never final (${trace})`).toEqual([]);
      for (const [id, marker] of markers) {
        expect(executions(marker), `message ${id} (${trace})`).toBeLessThanOrEqual(1);
        if (getRun(runDoc, id)?.state === 'completed') expect(executions(marker), `message ${id}`).toBe(1);
      }
      // The device re-sent what the server lost; once the server holds it all, the device goes and
      // the server restarts: what it answers now comes from the store alone.
      const storedVars = async () =>
        (await call(server.url, 'GET', `/api/environments/${notesId}`, s.user.token)).body?.vars ?? {};
      await waitFor(
        async () => {
          const vars = await storedVars();
          return Object.keys(written).every((k) => k in vars);
        },
        { what: `the device's keys on the server (${trace})` },
      );
      device.destroy();
      await server.restart();

      expect(await storedVars(), trace).toEqual(written);
      const stored = (await call(server.url, 'GET', `/api/tasks/${taskId}`, s.user.token)).body;
      const storedIds = new Set<string>(stored.messages.map((m: { id: string }) => m.id));
      const storedRuns = new Map<string, string>(
        stored.runs.map((r: { messageId: string; state: string }) => [r.messageId, r.state]),
      );
      expect(acknowledged.length).toBeGreaterThanOrEqual(2 * faults.length);
      for (const id of acknowledged) {
        expect(storedIds.has(id), `acknowledged message ${id} stored (${trace})`).toBe(true);
        // Nothing here cancels or fails a message: it completed once, or the Viber died under it.
        const state = storedRuns.get(id);
        expect(['completed', 'interrupted'], `acknowledged message ${id} final (${trace})`).toContain(state);
        if (state === 'completed') expect(executions(markers.get(id)!), `message ${id} ran once`).toBe(1);
      }
    },
  );
});
