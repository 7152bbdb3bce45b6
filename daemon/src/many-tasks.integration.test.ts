// [V3] A Viber with more tasks than it may hold open, and a Prepare due while they work: every
// message runs, end to end. (What broke it, each pinned by a fast test of its own: with 32 open tasks
// a prepare's log waited for a slot only a task could free while every task waited for that prepare
// — limits.test.ts; a task closed the moment it said "idle" lost the message that trailed its bump —
// task-slots.test.ts.)
import { describe, expect, it } from 'vitest';
import { readObservation, viberDocName } from '@openviber/shared';
import { MAX_OPEN_TASKS } from './limits.ts';
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
        { what: `every task's "${text}" to complete`, timeoutMs: 90_000 },
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
  }, 240_000);
});
