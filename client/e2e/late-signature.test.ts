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
});
