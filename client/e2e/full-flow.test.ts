// The whole flow a new user goes through, against a real server and a real Viber (the `viber` CLI):
// create an environment, map it, watch it prepare with its setup log, start a task, see the run's
// output, exit code and duration. Screenshots at desktop and phone width go to test-artifacts/.
import { join } from 'node:path';
import { describe, it } from 'vitest';
import {
  artifactsDir,
  createEnvironmentInUi,
  newPage,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  mapAndPrepare,
} from './harness.ts';

describe('full flow with a real Viber', () => {
  it('map → prepare (live log) → task runs with output, exit code and duration; desktop and phone screenshots', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const dir = artifactsDir();
    await page.screenshot({ path: join(dir, 'desktop-empty.png') });

    await useRealViber(server, user, 'workstation');
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor({ timeout: 30_000 });

    await createEnvironmentInUi(page, 'web-app');
    await page.getByRole('button', { name: 'Setup script' }).click();
    await page.locator('#env-setupScript').fill('echo "installing deps"\nif true; then\n  echo ok\nfi');
    await page.getByTestId('script-ok').first().waitFor();
    await page.getByTestId('save-env').click();
    await page.getByTestId('saved-note').waitFor();

    const card = await mapAndPrepare(page);
    await card
      .getByRole('button', { name: 'Show setup log' })
      .click()
      .catch(() => undefined);
    await waitFor(
      async () => (await page.getByTestId('prepare-log').innerText()).includes('installing deps'),
      'setup log streamed in',
    );
    await page.locator('.env-switcher [data-status=ready]').waitFor();
    await page.screenshot({ path: join(dir, 'desktop-mapping.png') });

    // Variables and a secret, sealed to the real Viber's key; the editor then shows it masked.
    await page.getByRole('button', { name: 'Edit environment' }).click();
    await page.getByRole('button', { name: '+ Add variable' }).click();
    await page.getByLabel('Variable name').fill('NODE_ENV');
    await page.getByLabel('Value of NODE_ENV').fill('production');
    await page.getByTestId('add-secret').click();
    await page.getByLabel('Secret name').fill('DEPLOY_KEY');
    await page.getByLabel('Value of DEPLOY_KEY').fill('a-long-deploy-key-value');
    await page.getByTestId('save-env').click();
    await page.getByTestId('secret-masked').waitFor();
    await page.screenshot({ path: join(dir, 'desktop-editor.png'), fullPage: true });

    await page.getByTestId('viber-health').click();
    await page.getByTestId('add-viber').click();
    await page
      .getByTestId('onboarding-command')
      .getByText(/onboard --server http.* --token /)
      .waitFor();
    await page.screenshot({ path: join(dir, 'desktop-vibers.png') });

    await page.getByTestId('new-task').click();
    await page.getByLabel('Message').fill('echo hello-from-the-viber && exit 3');
    await page.getByLabel('Message').press('Enter');
    const message = page.getByTestId('message').first();
    await waitFor(
      async () => (await message.getByTestId('run-output').innerText()).includes('hello-from-the-viber'),
      'run output',
    );
    await message.getByText('exit code 3').waitFor({ timeout: 30_000 });
    await message.getByText(/duration/).waitFor();
    // The task took its title from the first message, and its row shows the run state.
    const row = page.getByTestId('task-row').first();
    await row.getByText('echo hello-from-the-viber').waitFor();
    // The row's run state comes from the Viber's document, which may reach the app a moment
    // after the run's own document: it must get there, not necessarily first.
    await waitFor(
      async () =>
        /completed|error/.test((await row.locator('[data-status]').getAttribute('data-status')) ?? ''),
      'the task row to show the finished run',
    );
    await page.screenshot({ path: join(dir, 'desktop-task.png') });

    // A long-running message can be cancelled; its run ends as cancelled.
    await page.getByLabel('Message').fill('echo started-long; sleep 60');
    await page.getByLabel('Message').press('Enter');
    const long = page.getByTestId('message').nth(1);
    await waitFor(
      async () => (await long.getByTestId('run-output').innerText()).includes('started-long'),
      'the long run to start',
    );
    await long.getByTestId('cancel').click();
    await long.locator('[data-status=cancelled]').waitFor({ timeout: 30_000 });

    // Archiving moves the task to the Archived group.
    await page.getByTestId('archive').click();
    await page.locator('.group-label', { hasText: 'Archived' }).waitFor();
    await page.getByTestId('archive').click();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(dir, 'phone-task.png') });
    await page.getByRole('button', { name: 'Back to tasks' }).click();
    await page.getByTestId('task-row').first().waitFor();
    await page.screenshot({ path: join(dir, 'phone-home.png') });
    await page.getByRole('button', { name: 'Environments & mappings' }).click();
    await page.getByRole('dialog', { name: 'Environments' }).waitFor();
    await page.screenshot({ path: join(dir, 'phone-environments-sheet.png') });
  });
});
