// Offline-first: the service worker serves the app with the network off, IndexedDB holds the data,
// edits made offline sync when the network returns, and concurrent offline edits of different
// fields of one environment both survive ([S5]).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createEnvironmentInUi,
  newPage,
  signInInUi,
  signUpInUi,
  useBrowser,
  useServer,
  waitFor,
  waitSaved,
  waitForValue,
  artifactsDir,
} from './harness.ts';

/** The screens a changed view is looked at in: desktop width light, phone width dark. */
const SCREENS = [
  { viewport: { width: 1280, height: 800 }, dark: false },
  { viewport: { width: 390, height: 844 }, dark: true },
] as const;

/** A page (signed in later, at desktop width) in the light or dark theme. */
async function pageInTheme(browser: Awaited<ReturnType<typeof useBrowser>>, dark: boolean) {
  const a = await newPage(browser);
  if (dark) await a.page.emulateMedia({ colorScheme: 'dark' });
  return a;
}

describe('offline', () => {
  it('reloads offline from the service worker, creates an environment and a task offline, and syncs them when back online', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const a = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    await waitFor(
      () => a.page.evaluate(() => navigator.serviceWorker.controller !== null),
      'the service worker to control the page',
    );
    await waitSaved(a.page);

    await a.context.setOffline(true);
    await a.page.reload();
    await a.page.getByTestId('new-task').waitFor();
    await a.page.locator('[data-testid=sync-indicator][data-state=offline]').first().waitFor();

    const envId = await createEnvironmentInUi(a.page, 'made-offline');
    await a.page.getByTestId('new-task').click();
    await a.page.getByLabel('Message').fill('echo written offline');
    await a.page.getByLabel('Message').press('Enter');
    await a.page.getByTestId('task-row').getByText('echo written offline').waitFor();
    expect(await a.page.locator('[data-testid=sync-indicator]').first().innerText()).toMatch(/Offline/);

    // Still offline, a reload shows what was written: it is in IndexedDB.
    await a.page.reload();
    await a.page.getByTestId('task-row').getByText('echo written offline').waitFor();
    await a.page.getByTestId('env-row').getByText('made-offline').waitFor();

    // Leave the task and reload on the home view: the task's document is no longer open, yet its
    // offline message must still reach the server when the network returns.
    await a.page.goto(`${server.url}/#/`);
    await a.page
      .getByText('Pick a task, or start a new one')
      .or(a.page.getByText('Get set up'))
      .first()
      .waitFor();
    await a.page.reload();
    await a.page.getByTestId('env-row').getByText('made-offline').waitFor();

    await a.context.setOffline(false);
    await waitSaved(a.page);

    const b = await newPage(browser);
    await signInInUi(b.page, server, user);
    await b.page.getByTestId('env-row').getByText('made-offline').waitFor();
    await b.page.getByTestId('task-row').getByText('echo written offline').click();
    await b.page.getByTestId('message').getByText('echo written offline').waitFor();
    await b.page.goto(`${server.url}/#/environments/${envId}`);
    await waitForValue(b.page, '#env-name', 'made-offline');
  });

  it('[S5] two devices offline edit different fields of one environment: both edits survive', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const a = await newPage(browser);
    const b = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    const envId = await createEnvironmentInUi(a.page, 'merge-me');
    await waitSaved(a.page);
    await signInInUi(b.page, server, user);
    await b.page.goto(`${server.url}/#/environments/${envId}`);
    await waitForValue(b.page, '#env-name', 'merge-me');
    await waitSaved(b.page);

    await a.context.setOffline(true);
    await b.context.setOffline(true);
    await a.page.locator('[data-testid=sync-indicator][data-state=offline]').first().waitFor();
    await b.page.locator('[data-testid=sync-indicator][data-state=offline]').first().waitFor();

    await a.page.locator('#env-description').fill('description from A');
    await a.page.getByTestId('save-env').click();
    await a.page.getByTestId('saved-note').waitFor();
    await b.page.locator('#env-workingDir').fill('packages/web');
    await b.page.getByTestId('save-env').click();
    await b.page.getByTestId('saved-note').waitFor();

    await a.context.setOffline(false);
    await b.context.setOffline(false);
    await waitSaved(a.page);
    await waitSaved(b.page);
    for (const { page } of [a, b]) {
      await waitForValue(page, '#env-description', 'description from A');
      await waitForValue(page, '#env-workingDir', 'packages/web');
    }
    // And after a reload, from what each device stored.
    await a.page.reload();
    await waitForValue(a.page, '#env-description', 'description from A');
    await waitForValue(a.page, '#env-workingDir', 'packages/web');
  });

  it('a message sent while the signing key is still loading survives an immediate reload, written once and signed', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const a = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    await createEnvironmentInUi(a.page, 'keep-my-words');
    await waitSaved(a.page);

    // The key's check with the server is held, as on a slow network: signing waits for it, so the
    // message cannot be written yet when the page goes away.
    let letThrough!: () => void;
    const held = new Promise<void>((resolve) => (letThrough = resolve));
    await a.page.route('**/api/account/signing-key', async (route) => {
      await held;
      await route.continue().catch(() => undefined); // the reload cancelled it
    });
    await a.page.reload();
    await a.page.getByTestId('new-task').click();
    await a.page.getByLabel('Message').fill('echo keep me');
    const sentBefore = Date.now();
    await a.page.getByLabel('Message').press('Enter');
    await a.page.getByTestId('task-row').getByText('echo keep me').waitFor();
    await a.page.waitForURL(/#\/task\/tsk_/);
    const taskId = /#\/task\/([^/]+)/.exec(a.page.url())![1];
    await a.page.reload();
    letThrough();

    // The next start writes it: with the id and time it was sent with, signed, once.
    await a.page.getByTestId('message').getByText('echo keep me').waitFor();
    const messages = await waitFor(async () => {
      const res = await fetch(`${server.url}/api/tasks/${taskId}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const body = (await res.json()) as {
        messages?: { text: string; signature: string; createdAt: number }[];
      };
      return body.messages?.length ? body.messages : undefined;
    }, 'the message on the server');
    expect(messages).toHaveLength(1);
    expect(messages[0].text).toBe('echo keep me');
    expect(messages[0].signature).not.toBe('');
    expect(messages[0].createdAt).toBeGreaterThanOrEqual(sentBefore);
    expect(
      await a.page.evaluate((id) => localStorage.getItem(`openviber.outbox.${id}`), user.userId),
    ).toBeNull();
  });

  it('signing out with changes the server has not confirmed asks first, naming them; Cancel keeps everything', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    for (const { viewport, dark } of SCREENS) {
      const a = await pageInTheme(browser, dark);
      await signUpInUi(a.page, server);
      await waitSaved(a.page);
      // The editor is a lazily loaded chunk: offline it comes from the service worker's cache.
      await waitFor(
        () => a.page.evaluate(() => navigator.serviceWorker.controller !== null),
        'the service worker to control the page',
      );
      await a.context.setOffline(true);
      await a.page.locator('[data-testid=sync-indicator][data-state=offline]').first().waitFor();
      await createEnvironmentInUi(a.page, 'only-on-this-device-' + 'x'.repeat(60));
      await a.page.setViewportSize(viewport);

      const openMenu = async () => {
        // The task list (on a phone the sidebar is the home view) holds the account menu.
        await a.page.evaluate(() => (location.hash = '#/'));
        await a.page.getByRole('button', { name: /Account and settings/ }).click();
        await a.page.getByTestId('menu-sign-out').click();
      };
      await openMenu();
      const dialog = a.page.locator('dialog.dialog');
      await dialog.waitFor();
      expect(await dialog.innerText()).toMatch(/change(s)? the server has not confirmed/);
      expect(await dialog.innerText()).toMatch(/Connect to the network/);
      await a.page.screenshot({
        path: join(artifactsDir(), `sign-out-unsaved-${viewport.width}-${dark ? 'dark' : 'light'}.png`),
      });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      // Still signed in, the change still here and still on its way.
      await a.page
        .getByTestId('env-row')
        .getByText('only-on-this-device-', { exact: false })
        .first()
        .waitFor({ state: 'attached' });
      await a.context.setOffline(false);
      await waitSaved(a.page);
      // Nothing unsaved: no question.
      await openMenu();
      await a.page
        .getByRole('button', { name: /sign up|create account|sign in/i })
        .first()
        .waitFor();
      expect(await a.page.locator('dialog.dialog').count()).toBe(0);
    }
  });

  it('unsaved edits to an environment another device deletes are offered back: Recreate from my changes', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    for (const { viewport, dark } of SCREENS) {
      const a = await pageInTheme(browser, dark);
      const user = await signUpInUi(a.page, server);
      const envId = await createEnvironmentInUi(a.page, 'deleted-elsewhere-' + 'y'.repeat(50));
      await a.page.locator('#env-description').fill('typed here, never saved');
      await a.page.getByText('Unsaved changes').first().waitFor();
      await a.page.setViewportSize(viewport);
      // Another device (here the API) deletes it.
      const res = await fetch(`${server.url}/api/environments/${envId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${user.token}` },
      });
      expect(res.status).toBeLessThan(300);
      const gone = a.page.getByTestId('env-gone');
      await gone.getByRole('button', { name: 'Recreate from my changes' }).waitFor();
      await a.page.screenshot({
        path: join(artifactsDir(), `env-deleted-elsewhere-${viewport.width}-${dark ? 'dark' : 'light'}.png`),
      });
      await gone.getByRole('button', { name: 'Recreate from my changes' }).click();
      await waitForValue(a.page, '#env-description', 'typed here, never saved');
      await waitForValue(a.page, '#env-name', 'deleted-elsewhere-' + 'y'.repeat(50));
    }
  });
});
