// A message is signed before it is written ([T4]), and the task's `updatedAt` tells a Viber to look
// at the task ([V3]). While a slow signature lands, the Viber has the task recorded idle at its
// `updatedAt`; it keeps an idle task open a while, but a Viber that restarts (or a message written at
// the app's next start, from its outbox) opens only tasks bumped since: the message must still run
// once it is written, so the task is bumped then.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createEnvironmentInUi,
  newPage,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  mapAndPrepare,
} from './harness.ts';

describe('a message signed after its Viber looked at the task', () => {
  it('[V3] [T4] runs after the Viber restarts, written by the next start of the page: the task is bumped once the message is written', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const viber = await useRealViber(server, user, 'workstation');
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor({ timeout: 30_000 });
    await createEnvironmentInUi(page, 'late-signature');
    await mapAndPrepare(page);

    await page.getByTestId('new-task').click();
    await page.getByLabel('Message').fill('echo first-run');
    await page.getByLabel('Message').press('Enter');
    await waitFor(
      async () =>
        (await page.getByTestId('message').first().getByTestId('run-output').innerText()).includes(
          'first-run',
        ),
      'the first message to run',
    );
    const taskId = /#\/task\/([^/]+)/.exec(page.url())![1];

    // The key's check with the server is held after a reload: the next message waits to be signed.
    let letThrough!: () => void;
    const held = new Promise<void>((resolve) => (letThrough = resolve));
    await page.route('**/api/account/signing-key', async (route) => {
      await held;
      await route.continue().catch(() => undefined);
    });
    await page.reload();
    await page.getByTestId('message').first().waitFor();
    await page.getByLabel('Message').fill('echo signed-late');
    await page.getByLabel('Message').press('Enter');

    // The Viber has the task recorded idle at its updatedAt as it stands while the message is signed:
    // nothing new to run.
    const updatedAt = async () =>
      (
        (await (
          await fetch(`${server.url}/api/tasks/${taskId}`, {
            headers: { authorization: `Bearer ${user.token}` },
          })
        ).json()) as { task: { updatedAt: number } }
      ).task.updatedAt;
    const idleAt = () =>
      readFileSync(join(viber.home, 'state', 'run-journal.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { k: string; t?: string; u?: number })
        .filter((e) => e.k === 'idle' && e.t === taskId)
        .map((e) => e.u);
    const now = await updatedAt();
    await waitFor(() => idleAt().includes(now), 'the Viber to have the task recorded idle as it stands');

    // The Viber goes away, and so does the page, before the signature lands: the next start writes
    // the message from the outbox; the Viber comes back after.
    await viber.stop();
    await page.reload();
    letThrough();
    await page.getByTestId('message').nth(1).getByText('echo signed-late').waitFor();
    viber.start();
    await waitFor(
      async () =>
        (await page.getByTestId('message').nth(1).getByTestId('run-output').innerText()).includes(
          'signed-late',
        ),
      'the late-signed message to run',
      30_000,
    );
    expect(await page.getByTestId('message').count()).toBe(2);
  });

  it('[V3] [T4] a message kept by a page that died before its new task was on disk: the next start lists the task again and the Viber runs it', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    await useRealViber(server, user, 'workstation');
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor({ timeout: 30_000 });
    const environmentId = await createEnvironmentInUi(page, 'lost-row');
    await mapAndPrepare(page);
    const [viber] = (await (
      await fetch(`${server.url}/api/vibers`, { headers: { authorization: `Bearer ${user.token}` } })
    ).json()) as { id: string }[];

    // What a page leaves that went away in the milliseconds after "send" on a new task: the message in
    // the outbox (written synchronously), the task's row only in memory (not yet in IndexedDB, not sent).
    const taskId = 'tsk_lostrow1';
    await page.evaluate(
      ({ userId, entry }) => localStorage.setItem(`openviber.outbox.${userId}`, JSON.stringify([entry])),
      {
        userId: user.userId,
        entry: {
          taskId,
          environmentId,
          viberId: viber.id,
          text: 'echo row-restored\nsecond line',
          messageId: 'msg_lostrow1',
          at: Date.now(),
        },
      },
    );
    await page.reload();

    const row = page.getByTestId('task-row').filter({ hasText: 'echo row-restored' });
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.waitForURL(new RegExp(`#/task/${taskId}`));
    await waitFor(
      async () =>
        (await page.getByTestId('message').first().getByTestId('run-output').innerText()).includes(
          'row-restored',
        ),
      "the restored task's message to run on the Viber",
      30_000,
    );
    // Written once, under the kept id; the outbox is empty; the server lists the task with its title.
    expect(await page.getByTestId('message').count()).toBe(1);
    expect(
      await page.evaluate((id) => localStorage.getItem(`openviber.outbox.${id}`), user.userId),
    ).toBeNull();
    const task = (await (
      await fetch(`${server.url}/api/tasks/${taskId}`, { headers: { authorization: `Bearer ${user.token}` } })
    ).json()) as { task: { title: string; environmentId: string }; messages: { id: string }[] };
    expect(task.task).toMatchObject({ title: 'echo row-restored', environmentId });
    expect(task.messages.map((m) => m.id)).toEqual(['msg_lostrow1']);
  });
});
