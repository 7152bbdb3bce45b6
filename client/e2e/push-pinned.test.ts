// [A3] [T5] Push on a Viber pinned with --trust, in the app: Push branch is signed by this device, so the
// pinned Viber commits and pushes; a push written through the REST API (unsigned) waits as "awaiting
// approval" under the button and in the approvals, until Approve and push signs it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  newPage,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  mapAndPrepare,
} from './harness.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args],
    {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();

/** A bare repo on main with one file, served as file://; removed after the file's tests. */
function bareRepo() {
  const root = mkdtempSync(join(tmpdir(), 'openviber-e2e-repo-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  git(root, 'init', '--bare', bare);
  git(root, 'init', work);
  writeFileSync(join(work, 'README.md'), '# demo\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-m', 'initial');
  git(work, 'push', bare, 'HEAD:main');
  const branch = (name: string) => git(bare, 'for-each-ref', '--format=%(objectname)', `refs/heads/${name}`);
  return { bare, url: `file://${bare}`, branch };
}

describe('push on a pinned Viber', () => {
  it('[A3] [T5] Push branch is signed and lands in the bare repository; an API push awaits approval, and Approve and push lands it', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const call = async <T = any>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${user.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
    // The app made the user's key on this first device; the Viber pins it.
    const fingerprint = await waitFor(
      async () => {
        const key = await call<{ fingerprint: string }>('GET', '/api/account/signing-key');
        return key.status === 200 ? key.body.fingerprint : null;
      },
      'the signing key',
      30_000,
    );
    const repo = bareRepo();
    const viber = await useRealViber(server, user, 'pinned', {}, ['--trust', fingerprint]);
    const withLog = (e: Error) => {
      throw new Error(`${e.message}\nviber log:\n${viber.output()}`);
    };
    await page
      .getByTestId('viber-health')
      .getByText('1 of 1 Viber online')
      .waitFor({ timeout: 30_000 })
      .catch(withLog);

    // The environment and its mapping made in the app: signed, so the pinned Viber prepares.
    await page.getByTestId('create-env').first().click();
    await page.locator('#env-name').fill('pushes');
    await page.locator('#env-repoUrl').fill(repo.url);
    await page.getByTestId('save-env').click();
    await page.waitForURL(/#\/environments\/env_/);
    await mapAndPrepare(page).catch(withLog);
    await page.getByTestId('new-task').click();
    await page.getByLabel('Message').fill('echo from-the-task > b.txt');
    await page.getByLabel('Message').press('Enter');
    await page.waitForURL(/#\/task\/tsk_/);
    const taskId = /#\/task\/([^/]+)/.exec(page.url())![1]!;
    await waitFor(
      async () => (await call('GET', `/api/tasks/${taskId}/changes`)).status === 200,
      'the task’s changes',
      60_000,
    ).catch(withLog);

    // Push branch: this device signs the request, the pinned Viber pushes it.
    const card = page.getByTestId('task-changes');
    await card.locator('#push-branch-name').fill('ov/from-the-app');
    await card.getByTestId('push-branch').click();
    await card
      .locator('[data-testid=push-state][data-state=pushed]')
      .waitFor({ timeout: 60_000 })
      .catch(withLog);
    const commit = (await card.getByTestId('push-commit').getAttribute('title'))!;
    expect(repo.branch('ov/from-the-app')).toBe(commit);
    expect(git(repo.bare, 'show', 'ov/from-the-app:b.txt')).toBe('from-the-task');

    // Through the API, unsigned: it waits, shown as awaiting approval; nothing is pushed.
    const asked = await call('POST', `/api/tasks/${taskId}/push`, { branch: 'ov/from-the-api' });
    expect(asked.status).toBe(202);
    await card
      .locator('[data-testid=push-state][data-state=awaiting]')
      .getByText('Awaiting approval')
      .waitFor({ timeout: 30_000 })
      .catch(withLog);
    expect(repo.branch('ov/from-the-api')).toBe('');

    // Approve and push shows the branch it signs; then the Viber pushes it.
    await card.getByRole('link', { name: 'Review' }).click();
    const approval = page.getByTestId('approval').filter({ hasText: 'ov/from-the-api' });
    await approval.getByTestId('approval-text').getByText('ov/from-the-api').waitFor();
    await approval.getByRole('button', { name: 'Approve and push' }).click();
    const pushed = await waitFor(
      async () => {
        const { push } = (await call('GET', `/api/tasks/${taskId}`)).body;
        return push?.branch === 'ov/from-the-api' && push.state === 'pushed' ? push : null;
      },
      'the approved push',
      60_000,
    ).catch(withLog);
    expect(repo.branch('ov/from-the-api')).toBe(pushed.commit);
  });
});
