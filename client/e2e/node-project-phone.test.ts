// Issue 11's "done when", in the app on a phone (390×844, touch): a new user binds a real Node
// project (one dependency installed by npm, `npm test` = `node --test`) whose environment does not
// persist its volume, with automatic setup (the committed lockfile makes it `npm ci`); a task runs
// the tests in its own fresh worktree and they pass; a message edits the repo, its diff reads on
// the phone without sideways scrolling, and Push branch makes the branch in the bare repo — all
// through the UI, no shell on the machine. npm installs offline from a cache the test fills
// (daemon/test/node-project.ts). Screenshots: test-artifacts/phone-light-node-project-*.png.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../../daemon/test/git-repo.ts';
import { nodeProject } from '../../daemon/test/node-project.ts';
import {
  artifactsDir,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  mapAndPrepare,
} from './harness.ts';
import { checkScreen, horizontalOverflow } from './layout-checks.ts';

const PHONE = { width: 390, height: 844 };

/** Sends a message from the task view's composer; returns its message card. */
async function send(page: Page, text: string, nth: number) {
  const box = page.getByLabel('Message');
  await box.fill(text);
  // On a phone Enter is a new line (a touch keyboard has no Shift+Enter); Send sends.
  await box.press('Enter');
  expect(await box.inputValue()).toBe(`${text}\n`);
  await box.fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  return page.getByTestId('message').nth(nth);
}

/** Waits for the message's run to end; returns its state. */
async function ended(page: Page, message: ReturnType<Page['locator']>, what: string) {
  const pill = message.locator('.msg-head [data-status]');
  return waitFor(
    async () => {
      const state = await pill.getAttribute('data-status').catch(() => null);
      return state === 'completed' || state === 'error' ? state : null;
    },
    what,
    60_000,
  ).catch(async (error: unknown) => {
    await page.screenshot({ path: join(artifactsDir(), 'failed-node-project.png'), fullPage: true });
    throw error;
  });
}

describe('a real Node project on a phone', () => {
  it('bind with automatic setup (npm ci), npm test passes in a fresh worktree, the edit’s diff reads on the phone, Push branch lands', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    afterAll(() => context.close().catch(() => undefined));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.stack ?? e.message));
    afterAll(() => {
      if (errors.length) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
    });

    const project = nodeProject();
    const repo = makeRepo(project.files);
    const user = await signUpInUi(page, server);
    await useRealViber(server, user, 'workstation', project.npmEnv);

    // The environment, from the phone's environment sheet: the repo, automatic setup, no persistent volume.
    await page.getByRole('button', { name: 'Environments & mappings' }).click();
    await page.getByRole('dialog', { name: 'Environments' }).getByTestId('create-env').click();
    await page.locator('#env-name').fill('greeter');
    await page.locator('#env-repoUrl').fill(repo.url);
    expect(
      await page
        .getByRole('group', { name: 'Setup mode' })
        .getByRole('button', { name: 'Automatic' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    const persist = page.getByRole('checkbox', { name: /Persistent volume/ });
    await persist.uncheck();
    expect(await persist.isChecked()).toBe(false);
    await page.getByTestId('save-env').click();
    await page.waitForURL(/#\/environments\/env_/);

    // Map it to the Viber and prepare: the log says the lockfile chose npm ci.
    const card = await mapAndPrepare(page);
    await card
      .getByRole('button', { name: 'Show setup log' })
      .click()
      .catch(() => undefined);
    await waitFor(
      async () => (await page.getByTestId('prepare-log').innerText()).includes('auto setup: npm ci'),
      'the setup log names npm ci',
    );
    await checkScreen(page, 'node-project-prepared', { phone: true });

    // A task that runs the tests: they pass in the task's own worktree.
    await page.getByRole('button', { name: 'Back to tasks' }).click();
    await page.getByTestId('new-task').first().click();
    const test = await send(page, 'npm test', 0);
    expect(await ended(page, test, 'npm test ended')).toBe('completed');
    const testOutput = await test.getByTestId('run-output').innerText();
    expect(testOutput).toMatch(/pass 1\n\S* ?fail 0/);
    expect(testOutput).not.toContain('Cannot find module');
    await test.getByText('exit code 0').waitFor();
    await checkScreen(page, 'node-project-tests-pass', { phone: true });

    // A message that edits the repo (and runs the tests again, printing where it ran).
    const edit = await send(
      page,
      `pwd; sed -i "s/+ '!'/+ '!!!'/" greeting.js; sed -i "s/'hello, Ada!'/'hello, Ada!!!'/" test/greeting.test.js; npm test`,
      1,
    );
    expect(await ended(page, edit, 'the edit ended')).toBe('completed');
    const where = (await edit.getByTestId('run-output').innerText()).split('\n')[0];
    expect(where).toMatch(/\/workspaces\/worktrees\/tsk_[^/]+$/);

    // Its diff, on the phone: unified only, no sideways page scrolling.
    const changes = page.getByTestId('task-changes');
    await changes
      .getByTestId('changes-summary')
      .getByText('2 files changed, +2 −2')
      .waitFor({ timeout: 60_000 });
    const diff = changes.getByTestId('diff-view');
    await diff.getByText("greet(name) + '!!!';").first().waitFor();
    expect(await changes.getByRole('button', { name: 'Split' }).count()).toBe(0);
    await changes.scrollIntoViewIfNeeded();
    expect(await horizontalOverflow(page, PHONE.width)).toEqual([]);
    await checkScreen(page, 'node-project-diff', { phone: true });
    // The edited end of a line wider than the phone is reached by scrolling the file's diff sideways
    // (a swipe), inside the diff's box.
    const file = diff.locator('.d2h-file-wrapper', { hasText: 'greeting.js' }).first();
    await file.locator('.d2h-file-diff').evaluate((el) => (el.scrollLeft = el.scrollWidth));
    expect(
      await file.evaluate((wrapper) => {
        const box = wrapper.closest('[data-testid=diff-view]')!.getBoundingClientRect();
        const line = [...wrapper.querySelectorAll('.d2h-ins .d2h-code-line-ctn')].find((el) =>
          el.textContent!.includes("'!!!'"),
        )!;
        const edit = (line.querySelector('ins') ?? line).getBoundingClientRect();
        return edit.left >= box.left && edit.right <= box.right;
      }),
    ).toBe(true);
    await checkScreen(page, 'node-project-diff-swiped', { phone: true });

    // Push branch, prefilled from the task's title (its first message).
    const branch = changes.getByLabel('Push to branch');
    expect(await branch.inputValue()).toBe('ov/npm-test');
    await changes.getByTestId('push-branch').click();
    await changes.locator('[data-testid=push-state][data-state=pushed]').waitFor({ timeout: 60_000 });
    const commit = (await changes.getByTestId('push-commit').getAttribute('title'))!;
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.bare, encoding: 'utf8' }).trim();
    expect(git('rev-parse', 'refs/heads/ov/npm-test')).toBe(commit);
    expect(git('show', `${commit}:greeting.js`)).toContain("+ '!!!';");
    expect(git('ls-tree', '-r', '--name-only', commit).split('\n').sort()).toEqual(
      Object.keys(project.files).sort(),
    );
    await changes.getByTestId('push-state').scrollIntoViewIfNeeded();
    await checkScreen(page, 'node-project-pushed', { phone: true });
  }, 240_000);
});
