// [X5] A secret reaches a Viber mapped after it was saved: the editor says the new Viber cannot read it
// while no holder is online, and once a holder is back, its re-seal is copied into the workspace.
import { describe, it } from 'vitest';
import {
  createEnvironmentInUi,
  newPage,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
} from './harness.ts';

describe('re-seal to a newly mapped Viber', () => {
  it('[X5] asks for the value while no holder is online, then copies the holder’s re-seal', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const alpha = await useRealViber(server, user, 'alpha');
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor({ timeout: 30_000 });

    const envId = await createEnvironmentInUi(page, 'secretive');
    await page.getByTestId('add-secret').click();
    await page.getByLabel('Secret name').fill('DB_PASSWORD');
    await page.getByLabel('Value of DB_PASSWORD').fill('hunter2-but-longer');
    await page.getByTestId('save-env').click();
    await page.getByText('encrypted for 1 Viber').waitFor();

    await alpha.stop();
    await page.getByTestId('viber-health').getByText('0 of 1 Viber online').waitFor({ timeout: 30_000 });
    await useRealViber(server, user, 'beta');
    await page.getByTestId('viber-health').getByText('1 of 2 Vibers online').waitFor({ timeout: 30_000 });

    await page.goto(`${server.url}/#/environments/${envId}/mappings`);
    await page.locator('#map-viber').selectOption({ label: 'beta · online' });
    await page.getByTestId('map-prepare').click();
    await page.getByTestId('binding-card').waitFor();

    await page.goto(`${server.url}/#/environments/${envId}`);
    await page.getByText('no Viber holding it is online').waitFor();
    await page.getByRole('link', { name: 'enter the value again' }).waitFor();

    alpha.start();
    await page.getByText('encrypted for 2 Vibers').waitFor({ timeout: 30_000 });
  });
});
