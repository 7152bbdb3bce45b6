// [V3] A Viber scales with its history: 10,000 tasks (most archived) neither keep it offline after a
// server restart nor make SIGTERM hang; a refused or unreachable server is retried with backoff.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskStatus, createTask, patchTask, workspaceDocName } from '@openviber/shared';
import { scenario } from '../test/scenario.ts';
import { waitFor } from '../test/wait-for.ts';
import { useServer } from '../test/test-server.ts';

const TASKS = 10_000;
const ACTIVE = 300;
const BATCH = 1_000;

/** Lines the Viber journalled as "task idle" (it found all their messages finished). */
const idleMarks = (home: string) => {
  try {
    return readFileSync(join(home, 'state', 'run-journal.jsonl'), 'utf8').split('"k":"idle"').length - 1;
  } catch {
    return 0;
  }
};

/** Resolves with how long the daemon took to exit after SIGTERM. */
async function timedStop(stop: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await stop();
  return Date.now() - started;
}

describe('a Viber with 10,000 tasks', async () => {
  const server = await useServer();
  const s = await scenario(server);
  const { envId, bindingId } = await s.environment({ type: 'manual' });
  await s.prepared(bindingId);
  const viberId = s.viber.config.viberId;

  it('[V3] goes online after a server restart and runs a new message', { timeout: 240_000 }, async () => {
    // Written straight into the workspace by the user's device, as years of history would be.
    const workspace = await s.peer.doc(workspaceDocName(s.user.userId));
    for (let done = 0; done < TASKS; done += BATCH) {
      workspace.transact(() => {
        for (let i = done; i < done + BATCH; i++) {
          const id = createTask(workspace, { environmentId: envId, title: `old ${i}`, viberId });
          if (i >= ACTIVE) patchTask(workspace, id, { status: TaskStatus.archived });
        }
      });
    }
    const before = s.viber.output().length;
    await server.restart();
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, 'echo after-restart');
    expect(await s.runState(taskId, msg, ['completed', 'error'])).toMatchObject({
      state: 'completed',
      output: 'after-restart\n',
    });
    // Online for good: not a reconnect loop (one disconnect for the restart itself).
    const disconnects = s.viber.output().slice(before).split('disconnected').length - 1;
    expect(disconnects).toBeLessThanOrEqual(2);
    // The active ones are looked at once, in bounded batches, and found idle; archived ones never.
    await waitFor(() => idleMarks(s.viber.home) >= ACTIVE, {
      what: `the Viber to look at the ${ACTIVE} active tasks`,
      timeoutMs: 120_000,
    });
    expect(idleMarks(s.viber.home)).toBeLessThanOrEqual(ACTIVE + 1);
  });

  it('[V3] starting with that history and stopping at once (SIGTERM) exits within a few seconds', async () => {
    await s.viber.stop();
    const before = s.viber.output().length;
    s.viber.start();
    await waitFor(() => s.viber.output().slice(before).includes('synced with the server'), {
      what: 'the Viber to come online',
    });
    expect(await timedStop(() => s.viber.stop())).toBeLessThan(5_000);
  });

  it('[V3] SIGTERM while reconnecting to a server that is down exits within a few seconds', async () => {
    const before = s.viber.output().length;
    s.viber.start();
    await waitFor(() => s.viber.output().slice(before).includes('synced with the server'), {
      what: 'the Viber to come online',
    });
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, 'sleep 60');
    await s.runState(taskId, msg, ['started', 'progress']);
    await server.kill();
    await waitFor(() => /disconnected; reconnecting in/.test(s.viber.output().slice(before)), {
      what: 'the Viber to notice the server is gone',
    });
    expect(await timedStop(() => s.viber.stop())).toBeLessThan(5_000);
    await server.restart();
  });
});
