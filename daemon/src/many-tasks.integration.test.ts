// [V3] A Viber with more tasks than it may hold open, and a Prepare due while they work: every
// message runs. With 32 open tasks (98 documents against the connection's 80) a prepare's log waited
// for a slot only a task could free while every task waited for that prepare; and a task closed the
// moment it said "idle" lost the message that reached it a moment after its bump.
import { describe, expect, it } from 'vitest';
import { readObservation, viberDocName } from '@openviber/shared';
import { IDLE_TASK_CLOSE_MS, MAX_OPEN_TASKS } from './limits.ts';
import { scenario } from '../test/scenario.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const TASKS = MAX_OPEN_TASKS + 2;

describe('[V3] more tasks than slots, and a prepare due', async () => {
  const server = await useServer();
  const s = await scenario(server);

  it(`${TASKS} tasks each run a message, a Prepare comes, and each runs another: all run, the prepare completes`, async () => {
    const { envId, bindingId } = await s.environment({ type: 'manual' });
    await s.prepared(bindingId);
    const tasks: string[] = [];
    for (let i = 0; i < TASKS; i++) tasks.push(await s.task(envId));
    const runAll = async (text: string) => {
      const sent = await Promise.all(tasks.map((t) => s.send(t, text)));
      await waitFor(
        async () => {
          let done = 0;
          for (let i = 0; i < TASKS; i++)
            if ((await s.run(tasks[i]!, sent[i]!))?.state === 'completed') done++;
          return done === TASKS || null;
        },
        // Within IDLE_TASK_CLOSE_MS: a wedge that only the idle close of some task undoes fails here.
        { what: `every task's "${text}" to complete`, timeoutMs: IDLE_TASK_CLOSE_MS - 5_000 },
      );
    };
    await runAll('echo one');
    await s.api('POST', `/api/bindings/${bindingId}/prepare`);
    await new Promise((r) => setTimeout(r, 500)); // the prepare is due before the messages come
    await runAll('echo two');
    const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    await waitFor(() => readObservation(viberDoc, bindingId)?.observedGeneration === 2, {
      what: 'the prepare to complete',
    });
    expect(readObservation(viberDoc, bindingId)?.state).toBe('ready');
  }, 180_000);
});
