// The first ten minutes of a new user, at 1280×800 and 390×844 (touch), light and dark: no lost
// input, no unreadable state, nothing wider than the screen, plain words, real roles and labels.
// Real server, real Chromium, a real Viber (the `viber` CLI). Screenshots go to test-artifacts/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkScreen, unreadableStatuses } from './layout-checks.ts';
import { join } from 'node:path';
import {
  artifactsDir,
  createEnvironmentInUi,
  newPage,
  registerViber,
  signInInUi,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  type TestUser,
  mapAndPrepare,
} from './harness.ts';
import type { SpawnedServer } from '../../sync-server/testing/spawn-server.ts';

const LONG_ENV = 'customer-facing-payments-service-with-a-very-long-name';
const LONG_TITLE_WORDS = 'echo deploying-the-customer-facing-payments-service-to-the-staging-cluster-now';

async function device(
  browser: Browser,
  server: SpawnedServer,
  user: TestUser,
  options: { phone: boolean; dark: boolean },
): Promise<Page> {
  const context = await browser.newContext({
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    isMobile: options.phone,
    hasTouch: options.phone,
    colorScheme: options.dark ? 'dark' : 'light',
  });
  afterAll(() => context.close().catch(() => undefined));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.stack ?? e.message));
  afterAll(() => {
    if (errors.length) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
  });
  await signInInUi(page, server, user);
  return page;
}

async function go(page: Page, hash: string, ready: string) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page
    .locator(ready)
    .first()
    .waitFor()
    .catch(async (error: unknown) => {
      await page.screenshot({ path: join(artifactsDir(), 'failed-go.png') });
      throw new Error(
        `${hash}: ${String(error)}; page says: ${(await page.locator('body').innerText()).slice(0, 600)}`,
      );
    });
}

describe('the first ten minutes', () => {
  it('before any Viber: drafts survive Add a Viber, the secret is held, bash is really parsed, errors are plain and announced', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page, context } = await newPage(browser);
    const user = await signUpInUi(page, server);
    await page.locator('[data-testid=setup-checklist]:visible').waitFor();
    // On a phone too: the checklist sits above the (empty) task list.
    const phone = await device(browser, server, user, { phone: true, dark: false });
    await phone.locator('[data-testid=setup-checklist]:visible').waitFor();
    await checkScreen(phone, 'first-run', { phone: true });
    await phone.context().close();

    await page.getByTestId('create-env').click();
    await page.locator('#env-name').fill('api');
    // The URL is checked with the shared validator on leaving the field, in plain words.
    await page.locator('#env-repoUrl').fill('notaurl');
    await page.locator('#env-repoBranch').focus();
    const urlError = page.locator('#env-repoUrl-error');
    await urlError.waitFor();
    expect(await urlError.getAttribute('role')).toBe('alert');
    expect(await page.locator('#env-repoUrl').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#env-repoUrl').getAttribute('aria-describedby')).toBe('env-repoUrl-error');
    expect(await urlError.innerText()).toMatch(/^The repository URL must be an https:\/\//);
    await page.locator('#env-repoUrl').fill('');
    await page.locator('#env-repoBranch').focus();
    await waitFor(async () => (await urlError.innerText()) === 'The repository URL is required.', 'plain');

    await page.getByRole('button', { name: 'Manual' }).click();
    await page.getByRole('button', { name: 'Setup script' }).click();
    // A real bash parser: correct bash is silent, broken bash is named with its line.
    await page.locator('#env-setupScript').fill('echo installing; sleep 3; echo done');
    await page.getByTestId('script-ok').waitFor();
    await page.locator('#env-setupScript').fill('echo a\necho "unclosed\necho b');
    await page
      .getByTestId('script-issues')
      .getByText(/line 2: reached the end of the script without closing quote/)
      .waitFor();
    await page.locator('#env-setupScript').fill('echo installing; sleep 3; echo done');
    await page.getByTestId('script-ok').waitFor();

    await page.getByRole('button', { name: '+ Add variable' }).click();
    await page.getByLabel('Variable name').fill('MODE');
    await page.getByLabel('Value of MODE').fill('staging');
    await page.getByTestId('add-secret').click();
    await page.getByLabel('Secret name').fill('DEPLOY_KEY');
    await page.getByLabel('Value of DEPLOY_KEY').fill('a-long-deploy-key-value');

    // Follow "add a Viber" and come back: nothing is lost.
    await page.getByTestId('secrets-need-viber').getByRole('link', { name: 'add a Viber' }).click();
    await page.getByRole('heading', { name: 'Vibers' }).waitFor();
    await page.goBack();
    await page.locator('#env-name').waitFor();
    expect(await page.locator('#env-name').inputValue()).toBe('api');
    expect(await page.locator('#env-setupScript').inputValue()).toBe('echo installing; sleep 3; echo done');
    expect(await page.getByLabel('Value of MODE').inputValue()).toBe('staging');
    expect(await page.getByLabel('Value of DEPLOY_KEY').inputValue()).toBe('a-long-deploy-key-value');

    // Save keeps everything else; the secret stays in the draft, unsaved, and says so.
    await page.getByTestId('save-env').click();
    await page.waitForURL(/#\/environments\/env_/);
    await page
      .getByTestId('held-secrets')
      .getByText(/Saved, except DEPLOY_KEY/)
      .waitFor();
    await page.getByTestId('env-row').getByText('api').waitFor();
    expect(await page.getByLabel('Value of DEPLOY_KEY').inputValue()).toBe('a-long-deploy-key-value');

    // An unsaved edit survives a reload (the draft is in IndexedDB); the secret's value never is.
    await page.locator('#env-description').fill('typed, not saved');
    await waitFor(
      () =>
        page.evaluate(async () => {
          const dbs = await indexedDB.databases();
          return dbs.some((d) => d.name?.endsWith('/drafts.local'));
        }),
      'the drafts database',
    );
    await page.reload();
    await page.locator('#env-description').waitFor();
    await waitForInput(page, '#env-description', 'typed, not saved');
    expect(await page.getByLabel('Value of DEPLOY_KEY').inputValue()).toBe('');
    await page.getByTestId('draft-note').getByRole('button', { name: 'Discard changes' }).click();
    await waitForInput(page, '#env-description', '');

    // A secret saved before any Viber waits in this tab; once the first Viber joins, Add a Viber's next
    // step leads back to it (before mapping), and the editor seals and saves it.
    const apiId = /#\/environments\/([^/]+)/.exec(page.url())![1];
    await page.getByTestId('add-secret').click();
    await page.getByLabel('Secret name').fill('DEPLOY_KEY');
    await page.getByLabel('Value of DEPLOY_KEY').fill('a-long-deploy-key-value');
    await page.getByTestId('save-env').click();
    const held = page.getByTestId('held-secrets');
    await held.getByText(/Saved, except DEPLOY_KEY/).waitFor();
    await held.getByRole('link', { name: 'Add a Viber' }).click();
    await page.locator('#viber-name').fill('laptop');
    await page.getByTestId('add-viber').click();
    await page.getByTestId('onboarding-wait').getByText('Waiting for your machine…').waitFor();
    const laptop = await registerViber(server, user, 'laptop'); // what the command does on the machine
    const saveHeld = page.getByRole('button', { name: 'Save api — 1 secret waiting for a Viber' });
    await saveHeld.waitFor();
    await checkScreen(page, 'add-viber-secret-waiting', { phone: false });
    await saveHeld.click();
    await page
      .getByTestId('sealed-note')
      .getByText('DEPLOY_KEY is encrypted for laptop and saved.')
      .waitFor();
    await checkScreen(page, 'editor-secret-sealed', { phone: false });
    await page.getByTestId('secret-masked').waitFor();
    await waitFor(
      async () => (await sealedFor(server, user, apiId, 'DEPLOY_KEY')).includes(laptop.viberId),
      'the server has DEPLOY_KEY sealed for laptop',
    );

    // With the editor still open when the first Viber joins, the secret is sealed there and then.
    const second = await newPage(browser);
    const user2 = await signUpInUi(second.page, server);
    const envId2 = await createEnvironmentInUi(second.page, 'worker');
    await second.page.getByTestId('add-secret').click();
    await second.page.getByLabel('Secret name').fill('API_TOKEN');
    await second.page.getByLabel('Value of API_TOKEN').fill('another-long-token-value');
    await second.page.getByTestId('save-env').click();
    await second.page
      .getByTestId('held-secrets')
      .getByText(/Saved, except API_TOKEN/)
      .waitFor();
    const box = await registerViber(server, user2, 'build-box');
    await second.page
      .getByTestId('sealed-note')
      .getByText('API_TOKEN is encrypted for build-box and saved.')
      .waitFor();
    await waitFor(
      async () => (await sealedFor(server, user2, envId2, 'API_TOKEN')).includes(box.viberId),
      'the server has API_TOKEN sealed for build-box',
    );

    // The wrong password is announced.
    const other = await context.browser()!.newContext();
    afterAll(() => other.close());
    const login = await other.newPage();
    await login.goto(server.url);
    await login.getByRole('link', { name: 'Sign in' }).click();
    await login.getByLabel('Username').fill('nobody-here');
    await login.getByLabel('Password').fill('wrong password');
    await login.getByRole('button', { name: 'Sign in' }).click();
    await login.getByRole('alert').first().waitFor();
  });

  it('with a real Viber: readable Running, output that follows, re-prepare, Error warning, offline words, undo, menus, and every screen at both sizes, light and dark', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page, context } = await newPage(browser);
    const user = await signUpInUi(page, server);

    await page.getByTestId('viber-health').click();
    await page.locator('#viber-name').fill('workstation');
    // A command left unused past its token's life says so, and offers a new one (the server's
    // answer shortened to a second here; tokens last 15 minutes).
    await page.route('**/api/vibers/onboarding-tokens', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { expiresAt: string };
      await route.fulfill({
        response,
        json: { ...body, expiresAt: new Date(Date.now() + 1_000).toISOString() },
      });
    });
    await page.getByTestId('add-viber').click();
    await page.getByTestId('onboarding-expired').waitFor({ timeout: 10_000 });
    await page.getByTestId('onboarding-wait').getByText('the command expired').waitFor();
    for (const phone of [false, true]) {
      await page.setViewportSize(phone ? { width: 390, height: 844 } : { width: 1280, height: 800 });
      await checkScreen(page, 'add-viber-expired', { phone });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.unroute('**/api/vibers/onboarding-tokens');
    await page.getByTestId('onboarding-renew').click();
    await page.getByTestId('onboarding-expired').waitFor({ state: 'detached' });
    const command = await page.getByTestId('onboarding-command').innerText();
    expect(command).toMatch(/onboard --server http\S+ --token \S+/);
    await page.getByTestId('onboarding-wait').getByText('Waiting for your machine…').waitFor();
    // The command is shown in full at both widths, wrapping between arguments only.
    await checkScreen(page, 'add-viber', { phone: false });
    expect(await brokenArguments(page)).toEqual([]);
    expect(await wrappedArguments(page)).toEqual([]); // on a desktop not even a long one breaks
    await page.setViewportSize({ width: 390, height: 844 });
    await checkScreen(page, 'add-viber', { phone: true });
    const box = await page.getByTestId('onboarding-command').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await brokenArguments(page)).toEqual([]);
    // `.main` scrolls, so a full-page shot stops at 844 px: the card itself, whole.
    await page
      .getByTestId('onboarding')
      .screenshot({ path: join(artifactsDir(), 'phone-light-add-viber-card.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await useRealViber(server, user, 'workstation');
    await page
      .getByTestId('onboarding-wait')
      .getByText(/workstation is connected/)
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('onboarding-map').waitFor({ state: 'detached' }); // no environment yet
    // The next Viber is another machine: its name starts empty.
    await page.getByRole('heading', { name: 'Add another Viber' }).waitFor();
    expect(await page.locator('#viber-name').inputValue()).toBe('');
    await checkScreen(page, 'add-viber-connected', { phone: false });

    // An environment with a long name, mapped and prepared.
    await page.getByTestId('create-env').first().click();
    await page.locator('#env-name').fill(LONG_ENV);
    await page.getByRole('button', { name: 'Manual' }).click();
    await page.getByRole('button', { name: 'Setup script' }).click();
    await page.locator('#env-setupScript').fill('echo installing; echo done');
    await page.getByTestId('save-env').click();
    await page.waitForURL(/#\/environments\/env_/);
    const envId = /#\/environments\/([^/]+)/.exec(page.url())![1];
    await page.getByRole('button', { name: 'Map to Viber →' }).click();
    // A Manual environment has nothing to clone: it is set up in a new folder (or an existing one).
    const strategies = page.getByRole('group', { name: 'Strategy' });
    expect(await strategies.innerText()).not.toMatch(/clone/i);
    await strategies.getByRole('button', { name: 'Set up a new folder' }).waitFor();
    await page.getByTestId('map-prepare').click();
    const card = page.getByTestId('binding-card');
    await card.locator('[data-status=ready]').waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Prepare again' }).waitFor();
    expect(await card.innerText()).toMatch(/sets up a new folder/);
    expect(await card.innerText()).not.toMatch(/clone/i);

    // A task with a long title and long output: Running is readable and the output follows the end.
    await page.getByTestId('new-task').click();
    // The draft view may still be loading its chunk: wait for the focus rather than read it once.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Message');
    await page
      .getByLabel('Message')
      .fill(
        `${LONG_TITLE_WORDS}; for i in $(seq 1 400); do echo "line $i of a long output"; sleep 0.02; done`,
      );
    await page.getByLabel('Message').press('Enter');
    const message = page.getByTestId('message').first();
    const running = message.locator('[data-status=started], [data-status=progress]');
    await running.waitFor({ timeout: 30_000 });
    expect(await running.innerText()).toBe('Running');
    expect(await unreadableStatuses(page, 1280)).toEqual([]);
    await page.getByRole('heading', { level: 1, name: /deploying-the-customer/ }).waitFor();
    const output = message.getByTestId('run-output');
    const atEnd = () =>
      output.evaluate(
        (el) => el.scrollHeight > el.clientHeight && el.scrollHeight - el.scrollTop - el.clientHeight < 50,
      );
    await waitFor(
      async () => (await output.innerText()).includes('line 150') && (await atEnd()),
      'following the end',
    );
    // Scrolled up, it stays where the reader is.
    await output.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    await waitFor(async () => (await output.innerText()).includes('line 250'), 'more output');
    expect(await output.evaluate((el) => el.scrollTop)).toBeLessThan(50);
    await message.locator('[data-status=completed]').waitFor({ timeout: 60_000 });

    // Archive, then Undo.
    await page.getByTestId('archive').click();
    await page.getByTestId('undo-toast').getByRole('button', { name: 'Undo' }).click();
    await page.getByTestId('archive').getByText('Archive').waitFor();

    // Unsent text stays in each composer (the task's and New Task's) while the user looks elsewhere.
    const taskUrl = page.url();
    await page.getByLabel('Message').fill('npm test -- --only-changed');
    await page.getByTestId('new-task').click();
    await page.getByText('What should run?').waitFor();
    await waitForInput(page, '[aria-label=Message]', '');
    await page.getByLabel('Message').fill('echo a new task, not sent yet');
    await page.getByTestId('task-row').first().click();
    await page.waitForURL(taskUrl);
    await waitForInput(page, '[aria-label=Message]', 'npm test -- --only-changed');
    await page.getByTestId('new-task').click();
    await waitForInput(page, '[aria-label=Message]', 'echo a new task, not sent yet');
    await page.getByLabel('Message').fill('');
    await page.goBack();
    await page.waitForURL(taskUrl);
    await page.getByLabel('Message').fill('');

    // The user menu closes on Escape and on a click outside.
    const menuButton = page.getByRole('button', { name: 'Account and settings' });
    await menuButton.click();
    await page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menuitem', { name: 'Sign out' }).waitFor({ state: 'detached' });
    await menuButton.click();
    await page.locator('.main').click({ position: { x: 400, y: 400 } });
    await page.getByRole('menuitem', { name: 'Sign out' }).waitFor({ state: 'detached' });

    // Labels: pin and edit buttons say which environment.
    await page.getByRole('button', { name: `Pin ${LONG_ENV}` }).waitFor();
    await page.getByRole('button', { name: `Edit ${LONG_ENV}` }).waitFor();

    // Editing the setup script makes the mapping stale: the badge says so, and Prepare now fixes it.
    await page.getByRole('button', { name: `Edit ${LONG_ENV}` }).click();
    await page.locator('#env-setupScript').fill('echo installing v2; echo done');
    await page.getByTestId('save-env').click();
    await page.getByTestId('reprepare').waitFor();
    const switcherPill = page.locator('.env-switcher [data-status]');
    await waitFor(async () => (await switcherPill.innerText()) === 'Needs prepare', 'stale badge');
    // Beside Save, where the user is looking (the banner at the top is scrolled out of view).
    const savedNote = page.getByTestId('saved-note');
    await waitFor(
      async () =>
        (await savedNote.innerText()).replace(/\s+/g, ' ') ===
        'Saved · needs a prepare on 1 Viber — Prepare now',
      'the prompt beside Save',
    );
    const prepareNow = savedNote.getByRole('button', { name: 'Prepare now' });
    const inView = await prepareNow.boundingBox();
    expect(inView!.y + inView!.height).toBeLessThanOrEqual(800);
    expect(inView!.y).toBeGreaterThanOrEqual(0);
    await prepareNow.click();
    await waitFor(async () => !/needs a prepare/.test(await savedNote.innerText()), 'the prompt goes');
    await waitFor(
      async () => (await switcherPill.getAttribute('data-status')) === 'ready',
      'ready again',
      60_000,
    );

    // A second environment whose setup fails: starting a task there warns first.
    await page.getByTestId('create-env').first().click();
    await page.locator('#env-name').fill('broken');
    await page.getByRole('button', { name: 'Manual' }).click();
    await page.getByRole('button', { name: 'Setup script' }).click();
    await page.locator('#env-setupScript').fill('echo failing on purpose; exit 3');
    await page.getByTestId('save-env').click();
    await page.waitForURL(/#\/environments\/env_/);
    const brokenId = /#\/environments\/([^/]+)/.exec(page.url())![1];
    await mapAndPrepare(page, 'error');
    // The failed step in plain words, on the card and over its setup log.
    await page
      .getByTestId('binding-card')
      .getByText('Preparing failed while running the setup script')
      .waitFor();
    const showLog = page.getByTestId('binding-card').getByRole('button', { name: 'Show setup log' });
    if (await showLog.count()) await showLog.click();
    await page.getByTestId('prepare-log').getByText('failing on purpose').waitFor();
    expect(await page.getByTestId('prepare-log-head').innerText()).toBe(
      'Setup log of the latest prepare · failed while running the setup script',
    );
    await page.getByTestId('new-task').click();
    await page.getByTestId('env-error-warning').waitFor();

    // Delete asks in the app, not with window.confirm; Cancel keeps it.
    await go(page, `#/environments/${brokenId}`, '#env-name');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Delete broken?' })
      .getByRole('button', { name: 'Cancel' })
      .click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('env-row').getByText('broken').waitFor({ state: 'detached' });

    // Offline is this device, not the Viber.
    const taskHash = await (async () => {
      await page.getByTestId('task-row').first().click();
      return page.evaluate(() => location.hash);
    })();
    await context.setOffline(true);
    await page
      .getByTestId('offline-note')
      .getByText(/This device is offline/)
      .waitFor();
    expect(await page.getByTestId('offline-note').innerText()).not.toMatch(/workstation is offline/);
    // Nor does it claim the Viber is online, or offline: from an offline device that is not known.
    await waitFor(
      async () =>
        (await page.getByTestId('viber-badge').innerText()) ===
        'workstation: status unknown while you are offline',
      'the badge: status unknown',
    );
    const footer = await page.getByTestId('viber-health').innerText();
    expect(footer).toMatch(/^Status unknown\s+while you are offline$/);
    expect(await footerClipped(page), 'the footer says it in full').toEqual([]);
    expect(await page.getByTestId('task-row').first().locator('.badge').getAttribute('title')).toBe(
      'workstation: status unknown while you are offline',
    );
    await checkScreen(page, 'task-offline', { phone: false });
    await context.setOffline(false);
    await page.getByTestId('offline-note').waitFor({ state: 'detached' });

    // Every screen at both sizes, light and dark.
    for (const phone of [false, true])
      for (const dark of [false, true]) {
        const p = await device(browser, server, user, { phone, dark });
        const opts = { phone, dark };
        // A new device shows its (empty) local copy first: shoot the screens once the workspace synced.
        await p.getByTestId('task-row').first().waitFor({ state: 'attached' });
        if (phone) {
          await checkScreen(p, 'home', opts);
          await p.getByRole('button', { name: 'Environments & mappings' }).click();
          await p.getByRole('dialog', { name: 'Environments' }).waitFor();
          await checkScreen(p, 'environments-sheet', opts);
          await p.locator('.sheet-backdrop').click({ position: { x: 200, y: 50 } });
        } else {
          await checkScreen(p, 'home', opts);
          // Every first step is done: the ticked checklist is gone from home.
          await expect.poll(() => p.getByTestId('setup-checklist').count()).toBe(0);
          expect(await footerClipped(p), 'the footer says it in full').toEqual([]);
        }
        await go(p, taskHash, '[data-testid=message]');
        await p.getByRole('heading', { level: 1 }).waitFor();
        await checkScreen(p, 'task', opts);
        expect(await taskHeadProblems(p, phone)).toEqual([]);
        // The page follows the conversation's end, so the head is above the fold: shoot it too.
        await p.locator('.task-head').screenshot({
          path: join(
            artifactsDir(),
            `${phone ? 'phone' : 'desktop'}-${dark ? 'dark' : 'light'}-task-head.png`,
          ),
        });
        if (dark) {
          // The output box stands apart from its card: an edge unlike both surfaces.
          const colors = await p.getByTestId('run-output').evaluate((el) => ({
            edge: getComputedStyle(el).borderTopColor,
            inside: getComputedStyle(el).backgroundColor,
            card: getComputedStyle(el.closest('.msg')!).backgroundColor,
          }));
          expect(colors.edge).not.toBe(colors.inside);
          expect(colors.edge).not.toBe(colors.card);
        }
        await go(p, '#/task/new', '[aria-label=Message]');
        await checkScreen(p, 'new-task', opts);
        await go(p, `#/environments/${envId}`, '#env-name');
        await checkScreen(p, 'editor', opts);
        await go(p, `#/environments/${envId}/mappings`, '[data-testid=binding-card]');
        await checkScreen(p, 'mappings', opts);
        await go(p, '#/vibers', '[data-testid=viber-card]');
        await checkScreen(p, 'vibers', opts);
      }

    // Rename and remove a Viber in the app.
    await go(page, '#/vibers', '[data-testid=viber-card]');
    await page.getByRole('button', { name: 'Rename workstation' }).click();
    await page.getByLabel('Viber name').fill('build box');
    await page.getByLabel('Viber name').press('Enter');
    await page.getByTestId('viber-card').getByRole('heading', { name: 'build box' }).waitFor();
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor();
    await page.getByRole('button', { name: 'Remove build box' }).click();
    await page.getByRole('dialog', { name: 'Remove build box?' }).getByTestId('confirm-ok').click();
    await page.getByTestId('viber-card').waitFor({ state: 'detached', timeout: 20_000 });
  }, 400_000);
});

/** The command's pieces broken across lines although the piece or its whole argument fits on one line. */
async function brokenArguments(page: Page): Promise<string[]> {
  return page.getByTestId('onboarding-command').evaluate((code) => {
    const lineWidth = code.clientWidth;
    const lines = (node: Node) => {
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      return {
        count: new Set(rects.map((r) => Math.round(r.top))).size,
        width: rects.reduce((sum, r) => sum + r.width, 0),
      };
    };
    const bad: string[] = [];
    for (const arg of code.querySelectorAll('.arg')) {
      const whole = lines(arg);
      // An argument may take two lines only when it is wider than a whole line (a last resort)...
      if (whole.count > 1 && whole.width <= lineWidth) bad.push(`argument ${arg.textContent}`);
      // ...and then it breaks between its pieces (URL parts, fingerprint groups) where they fit.
      for (const piece of arg.childNodes) {
        if (piece.nodeType !== Node.TEXT_NODE) continue;
        const part = lines(piece);
        if (part.count > 1 && part.width <= lineWidth) bad.push(`inside ${piece.textContent}`);
      }
    }
    return bad;
  });
}

/**
 * The task page's head: on a phone the title has the page's whole width (its actions sit below it)
 * and takes at most two lines; Rename and Archive are the same height on one line.
 */
async function taskHeadProblems(page: Page, phone: boolean): Promise<string[]> {
  return page.evaluate((phone) => {
    const bad: string[] = [];
    const title = document.querySelector<HTMLElement>('h1.task-title')!;
    const t = title.getBoundingClientRect();
    const head = title.closest('.page-head')!.getBoundingClientRect();
    if (phone && t.width < head.width - 1)
      bad.push(`title ${Math.round(t.width)} of ${Math.round(head.width)} px`);
    const lineHeight = parseFloat(getComputedStyle(title).lineHeight);
    if (t.height > 2 * lineHeight + 1) bad.push(`title ${Math.round(t.height)} px tall`);
    const [rename, archive] = [...document.querySelectorAll('.task-actions button')].map((b) =>
      b.getBoundingClientRect(),
    );
    if (!rename || !archive) bad.push('Rename and Archive are not side by side');
    else if (Math.abs(rename.top - archive.top) > 0.5 || Math.abs(rename.height - archive.height) > 0.5)
      bad.push(`Rename ${rename.top}+${rename.height}, Archive ${archive.top}+${archive.height}`);
    return bad;
  }, phone);
}

/** Every argument of the command that takes more than one line. */
async function wrappedArguments(page: Page): Promise<string[]> {
  return page
    .getByTestId('onboarding-command')
    .evaluate((code) =>
      [...code.querySelectorAll('.arg')]
        .filter((arg) => arg.getClientRects().length !== 1 || arg.getBoundingClientRect().height > 24)
        .map((arg) => arg.textContent ?? ''),
    );
}

/** What the sidebar footer's Viber summary cuts off or runs under the account button; [] when whole. */
async function footerClipped(page: Page): Promise<string[]> {
  return page
    .getByTestId('viber-health')
    .evaluate((button) =>
      [button, ...button.querySelectorAll('span')]
        .filter((el) => el.scrollWidth > el.clientWidth + 0.5)
        .map((el) => `"${el.textContent}" ${el.scrollWidth} > ${el.clientWidth}`),
    );
}

/** The Vibers the server says `secret` of `envId` is sealed for. */
async function sealedFor(server: SpawnedServer, user: TestUser, envId: string, secret: string) {
  const res = await fetch(`${server.url}/api/environments/${envId}`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  const env = (await res.json()) as { secrets?: Record<string, { sealedFor: string[] }> };
  return env.secrets?.[secret]?.sealedFor ?? [];
}

async function waitForInput(page: Page, selector: string, value: string) {
  await waitFor(async () => (await page.locator(selector).inputValue()) === value, `${selector} = ${value}`);
}
