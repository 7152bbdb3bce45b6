// [V1] [V2] A message runs at most once even when the server dies with acknowledged-but-unstored
// updates: the Viber keeps its own documents and a run journal on its disk.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { taskDocName } from '@openviber/shared';
import { fixturePath } from '../test/fixture-files.ts';
import { scenario } from '../test/scenario.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

/** How many times the marker script ran for this marker file. */
const executions = (marker: string) =>
  existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean).length : 0;

describe('at most once across a server crash', async () => {
  const server = await useServer();
  const s = await scenario(server);
  const { envId, bindingId } = await s.environment({ type: 'manual' });
  await s.prepared(bindingId);
  const marked = (marker: string, then = '') => `bash ${fixturePath('append-marker.sh')} ${marker}${then}`;

  /** A task whose document the user's device holds open, as the app does: it re-sends what a crashed server lost. */
  const openTask = async () => {
    const taskId = await s.task(envId);
    await s.peer.doc(taskDocName(s.user.userId, taskId));
    return taskId;
  };

  /**
   * Sends a message that runs `marker`, then `then`, then touches `done`; kills the server once it
   * started; waits until it ended and the Viber journalled its end (known to the Viber alone).
   */
  const endsDuringOutage = async (taskId: string, marker: string, then: string, done: string) => {
    const message = await s.send(taskId, marked(marker, `${then}; touch ${done}`));
    await waitFor(() => executions(marker) === 1, { what: `${message} to start` });
    await server.kill();
    await waitFor(() => existsSync(done), { what: `${message} to finish while the server is down` });
    const journal = join(s.viber.home, 'state', 'run-journal.jsonl');
    await waitFor(
      () => readFileSync(journal, 'utf8').includes(`"k":"end","t":"${taskId}","m":"${message}"`),
      { what: `the Viber to record the end of ${message}` },
    );
    return message;
  };

  /** Restarts the killed server and the stopped Viber; waits until the Viber runs a new message. */
  const restartBoth = async (taskId: string) => {
    await server.restart();
    s.viber.start();
    const probe = await s.send(taskId, 'echo back');
    expect(await s.runState(taskId, probe, ['completed', 'error'])).toMatchObject({ state: 'completed' });
  };

  it("[V1] [V2] m1 completes, the server is killed 0.5 s later (before storing it) and the Viber stopped while it is down: m1 is not run again, and its record comes back from the Viber's copy", async () => {
    const marker = join(tempDir(), 'm1');
    const taskId = await openTask();
    const m1 = await s.send(taskId, marked(marker));
    await s.runState(taskId, m1, ['completed']);
    // The fault's timing, not a wait for a condition: inside the server's store debounce (2 s).
    await new Promise((r) => setTimeout(r, 500));
    await server.kill();
    await s.viber.stop();
    await restartBoth(taskId);
    expect(executions(marker)).toBe(1);
    expect(await s.run(taskId, m1)).toMatchObject({ state: 'completed' });
  });

  it('[V2] the server is killed while m2 runs: m1 and m2 each ran once', async () => {
    const dir = tempDir();
    const [marker1, marker2, done2] = [join(dir, 'm1'), join(dir, 'm2'), join(dir, 'm2.done')];
    const taskId = await openTask();
    const m1 = await s.send(taskId, marked(marker1));
    await s.runState(taskId, m1, ['completed']);
    // Its outcome is known to the Viber alone (the server is down): it must publish it after the restart.
    const m2 = await endsDuringOutage(taskId, marker2, '; sleep 1', done2);
    await s.viber.stop();
    await restartBoth(taskId);
    expect(executions(marker1)).toBe(1);
    expect(executions(marker2)).toBe(1);
    expect(await s.run(taskId, m2)).toMatchObject({ state: 'completed' });
  });

  it('[V1] a run that ends while the server is down reaches it after the server and the Viber both restart, with no further message', async () => {
    const dir = tempDir();
    const [marker, done] = [join(dir, 'm'), join(dir, 'm.done')];
    const taskId = await openTask();
    const m = await endsDuringOutage(taskId, marker, '; sleep 1; echo ended-in-the-outage', done);
    await s.viber.stop();
    await server.restart();
    s.viber.start();
    // Nothing opens the task again (no message, no edit): the Viber re-sends its marked copy.
    const run = await s.runState(taskId, m, ['completed']);
    expect(run.output).toContain('ended-in-the-outage');
    expect(executions(marker)).toBe(1);
  });

  it("[V1] a prepare's log written while the server is down reaches it after the server and the Viber both restart", async () => {
    const dir = tempDir();
    const [started, flag, done] = [join(dir, 'started'), join(dir, 'go'), join(dir, 'done')];
    const { bindingId } = await s.environment({
      type: 'manual',
      setupScript: `echo before-the-outage; touch ${started}; while [ ! -e ${flag} ]; do sleep 0.05; done; echo written-in-the-outage; touch ${done}`,
    });
    // The setup runs (its log document is open and synced: the prepare waits for that first).
    await waitFor(() => existsSync(started), { what: 'the setup to start', timeoutMs: 30_000 }).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n--- viber output ---\n${s.viber.output().slice(-3000)}`);
      },
    );
    await server.kill();
    writeFileSync(flag, '');
    await waitFor(() => existsSync(done), { what: 'the setup to finish while the server is down' });
    await s.viber.stop(); // SIGTERM: the prepare ends and its log is flushed to the Viber's disk
    await server.restart();
    s.viber.start();
    // Read by a device that opens the log only now: both lines come from the Viber's copy.
    await waitFor(
      async () => {
        const lines = (await s.prepareLog(bindingId)).join('\n');
        return lines.includes('before-the-outage') && lines.includes('written-in-the-outage');
      },
      { what: 'the lines written before and during the outage on the server', timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- viber output ---\n${s.viber.output().slice(-3000)}`);
    });
  });
});
