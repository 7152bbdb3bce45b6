// A task's changes in the app, end to end: a real server, a real Viber (the `viber` CLI), a bare repo
// served as file://, an environment without a persistent volume. A message edits a tracked file, adds
// one and deletes one; the app shows the counts and the diff at both sizes (light and dark) without
// horizontal page overflow, Download patch gives the API's patch, and Push branch makes the branch.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkScreen, horizontalOverflow } from './layout-checks.ts';
import {
  newPage,
  signUpInUi,
  useBrowser,
  useRealViber,
  useServer,
  waitFor,
  waitForValue,
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

/** A bare repo on main holding `files`; removed after the file's tests. */
function bareRepo(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'openviber-e2e-repo-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  git(root, 'init', '--bare', bare);
  git(root, 'init', work);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(work, name, '..'), { recursive: true });
    writeFileSync(join(work, name), content);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-m', 'initial');
  git(work, 'push', bare, 'HEAD:main');
  return { bare, url: `file://${bare}` };
}

async function api<T = any>(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Line numbers drawn outside the diff's box (they stayed behind when the page scrolled). */
function strayLineNumbers(page: import('playwright-core').Page): Promise<string[]> {
  return page.evaluate(() => {
    const box = document.querySelector('[data-testid=diff-view]')!.getBoundingClientRect();
    return [...document.querySelectorAll('.d2h-code-linenumber, .d2h-code-side-linenumber')]
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.height > 0 && (r.top < box.top - 1 || r.bottom > box.bottom + 1))
      .map(
        (r) =>
          `line number at ${Math.round(r.top)}-${Math.round(r.bottom)}, diff at ${Math.round(box.top)}-${Math.round(box.bottom)}`,
      );
  });
}

// A long line in the edited file: the diff may scroll inside its own box, never the page.
const LONG = `const banner = "${'wide '.repeat(60)}";`;

describe('task changes in the app', () => {
  it('3 files changed with counts; diff at both sizes, light and dark; Download patch = API patch; Push branch → pushed with the commit in the bare repo; offline and Viber-offline pushes queued; a refused push failed; 5 MB and binary files listed without content', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { context, page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const call = <T = any>(method: string, path: string, body?: unknown) =>
      api<T>(server.url, user.token, method, path, body);

    const repo = bareRepo({
      'src/app.js': 'const a = 1;\nconst b = 2;\nconsole.log(a + b);\n',
      'old.txt': 'obsolete\nfile\n',
      'README.md': '# demo\n',
    });
    const viber = await useRealViber(server, user, 'workstation');
    const viberId = await waitFor(
      async () => (await call<{ id: string }[]>('GET', '/api/vibers')).body[0]?.id,
      'viber registered',
    );
    const env = await call('POST', '/api/environments', {
      name: 'demo',
      type: 'github',
      repoUrl: repo.url,
      setupMode: 'manual',
      persistVolume: false,
    });
    expect(env.status).toBe(201);
    const binding = await call('POST', `/api/environments/${env.body.id}/bindings`, {
      viberId,
      strategy: 'clone',
    });
    expect(binding.status).toBe(201);
    await waitFor(
      async () =>
        (
          await call<{ id: string; status: string }[]>('GET', `/api/environments/${env.body.id}/bindings`)
        ).body.some((b) => b.status === 'ready'),
      'binding ready',
      60_000,
    );

    const task = await call('POST', '/api/tasks', {
      environmentId: env.body.id,
      title: 'Tidy the demo app',
      viberId,
    });
    expect(task.status).toBe(201);
    const taskId: string = task.body.id;
    await call('POST', `/api/tasks/${taskId}/messages`, {
      text: `sed -i 's/const b = 2;/const b = 3;/' src/app.js && echo '${LONG}' >> src/app.js && printf 'new\\nfile\\n' > added.txt && rm old.txt`,
    });
    const changes = await waitFor(
      async () => {
        const res = await call('GET', `/api/tasks/${taskId}/changes`);
        return res.status === 200 && res.body.files.length ? res.body : null;
      },
      'changes published',
      60_000,
    );

    await page.goto(`${server.url}/#/task/${taskId}`);
    const card = page.getByTestId('task-changes');
    await card
      .getByTestId('changes-summary')
      .getByText('3 files changed, +4 −3')
      .waitFor({ timeout: 30_000 });
    const rows = card.getByTestId('changed-file');
    expect(await rows.count()).toBe(3);
    const byPath = Object.fromEntries(
      await Promise.all(
        (await rows.all()).map(async (r) => [
          (await r.locator('.file-path').innerText()).trim(),
          [await r.getAttribute('data-status'), (await r.locator('.file-counts').innerText()).trim()],
        ]),
      ),
    );
    expect(byPath).toEqual({
      'src/app.js': ['modified', '+2 −1'],
      'added.txt': ['added', '+2 −0'],
      'old.txt': ['deleted', '+0 −2'],
    });
    const diff = card.getByTestId('diff-view');
    await diff.getByText('const b = 3;').first().waitFor();
    expect(await diff.locator('.d2h-file-wrapper').count()).toBe(3);

    // Split at desktop width; the page never scrolls sideways.
    await card.getByRole('button', { name: 'Split' }).click();
    await diff.locator('.d2h-file-side-diff').first().waitFor();
    await card.scrollIntoViewIfNeeded();
    await checkScreen(page, 'task-changes-split', { phone: false });
    await card.getByRole('button', { name: 'Unified' }).click();
    await diff.locator('.d2h-file-side-diff').first().waitFor({ state: 'detached' });

    // Download patch: exactly the API's patch.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByTestId('download-patch').click(),
    ]);
    expect(download.suggestedFilename()).toBe('tidy-the-demo-app.patch');
    expect(readFileSync(await download.path(), 'utf8')).toBe(changes.patch);

    // Push branch: prefilled from the title, refused when invalid, then pushed with a commit id.
    const branchInput = card.getByLabel('Push to branch');
    expect(await branchInput.inputValue()).toBe('ov/tidy-the-demo-app');
    // The prefill follows a renamed task (another device, here the API) until the user types.
    expect((await call('PUT', `/api/tasks/${taskId}`, { title: 'Tidy the demo, again' })).status).toBe(200);
    await waitForValue(page, '#push-branch-name', 'ov/tidy-the-demo-again');
    await branchInput.fill('-bad..name');
    await card.getByTestId('push-branch').click();
    await card.getByTestId('push-error').waitFor();
    await branchInput.fill('ov/tidy-the-demo-app');
    await card.getByTestId('push-branch').click();
    await card.locator('[data-testid=push-state][data-state=pushed]').waitFor({ timeout: 60_000 });
    const shown = (await card.getByTestId('push-commit').getAttribute('title'))!;
    expect(shown).toMatch(/^[0-9a-f]{40}$/);
    expect(git(repo.bare, 'rev-parse', 'refs/heads/ov/tidy-the-demo-app')).toBe(shown);
    expect(git(repo.bare, 'show', `${shown}:added.txt`)).toBe('new\nfile');
    expect((await call('GET', `/api/tasks/${taskId}`)).body.push).toMatchObject({
      branch: 'ov/tidy-the-demo-app',
      state: 'pushed',
      commit: shown,
    });
    await checkScreen(page, 'task-changes-pushed', { phone: false });

    // Both sizes, light and dark, from the same synced copy.
    for (const phone of [false, true]) {
      for (const dark of [false, true]) {
        const viewport = phone ? { width: 390, height: 844 } : { width: 1280, height: 800 };
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
        await diff.getByText('const b = 3;').first().waitFor();
        // The layout follows a media query's change event, a render after the resize: wait for it.
        if (phone) await expect.poll(() => card.getByRole('button', { name: 'Split' }).count()).toBe(0);
        await card.scrollIntoViewIfNeeded();
        expect(await horizontalOverflow(page, viewport.width)).toEqual([]);
        // Line numbers (absolutely placed by diff2html) stay inside the diff when the page scrolls.
        expect(await strayLineNumbers(page)).toEqual([]);
        await checkScreen(page, 'task-changes', { phone, dark });
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });

    // Offline: a reload shows the changes and the diff from the synced copy; a push asked now is
    // queued (and says so) and reaches the Viber once the device is back online.
    await waitFor(
      () => page.evaluate(() => navigator.serviceWorker.controller !== null),
      'service worker in control',
      60_000,
    );
    await context.setOffline(true);
    await page.reload();
    await card.getByTestId('changes-summary').getByText('3 files changed, +4 −3').waitFor();
    await diff.getByText('const b = 3;').first().waitFor();
    await branchInput.fill('ov/asked-offline');
    await card.getByTestId('push-branch').click();
    const queued = card.locator('[data-testid=push-state][data-state=queued]');
    await queued.getByText(/this device is offline/).waitFor();
    await checkScreen(page, 'task-changes-push-queued', { phone: false });
    expect(() => git(repo.bare, 'rev-parse', '--verify', 'refs/heads/ov/asked-offline')).toThrow();
    await context.setOffline(false);
    await card.locator('[data-testid=push-state][data-state=pushed]').waitFor({ timeout: 60_000 });
    expect(git(repo.bare, 'rev-parse', 'refs/heads/ov/asked-offline')).toBe(
      await card.getByTestId('push-commit').getAttribute('title'),
    );

    // A push the remote refuses ends failed with the reason, and Push branch works again.
    const hook = join(repo.bare, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "policy: no pushes today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    await branchInput.fill('ov/refused');
    await card.getByTestId('push-branch').click();
    const failed = card.locator('[data-testid=push-state][data-state=failed]');
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.innerText()).toMatch(/^Push to ov\/refused failed: .*(pre-receive|policy)/s);
    expect(await card.getByTestId('push-branch').isEnabled()).toBe(true);
    await checkScreen(page, 'task-changes-push-failed', { phone: false });
    rmSync(hook);

    // With its Viber offline, a push is queued under the Viber's name and lands when it is back.
    await viber.stop();
    await page.getByText('workstation offline').first().waitFor({ timeout: 60_000 });
    await branchInput.fill('ov/while-away');
    await card.getByTestId('push-branch').click();
    await card
      .locator('[data-testid=push-state][data-state=queued]')
      .getByText('Queued: workstation is offline and pushes to ov/while-away when it is back.')
      .waitFor();
    viber.start();
    await card.locator('[data-testid=push-state][data-state=pushed]').waitFor({ timeout: 60_000 });
    expect(git(repo.bare, 'rev-parse', 'refs/heads/ov/while-away')).toMatch(/^[0-9a-f]{40}$/);

    // A 5 MB generated file is listed with its counts but its diff is cut; a binary file without content.
    await call('POST', `/api/tasks/${taskId}/messages`, {
      text: "head -c 5000000 /dev/zero | tr '\\0' x | fold -w 100 > generated.txt && printf '\\000\\001\\002' > blob.bin",
    });
    await card
      .getByTestId('changes-summary')
      .getByText(/^5 files changed/)
      .waitFor({ timeout: 60_000 });
    await card.getByTestId('changes-truncated').waitFor();
    const generated = card.locator('[data-testid=changed-file]', { hasText: 'generated.txt' });
    expect(await generated.locator('.file-counts').innerText()).toMatch(
      /^\+50000 −0 · diff not kept \(4\.\d MB\)$/,
    );
    const blob = card.locator('[data-testid=changed-file]', { hasText: 'blob.bin' });
    expect((await blob.locator('.file-counts').innerText()).trim()).toBe('binary');
    // In the diff it is named as not kept (diff2html alone would say "File without changes").
    await diff.getByTestId('diff-not-kept').filter({ hasText: 'generated.txt' }).waitFor();
    const after = (await call('GET', `/api/tasks/${taskId}/changes`)).body;
    expect(after.truncated).toBe(true);
    // The generated file is left out of the patch, not stored whole: the patch stays small.
    expect(after.patch.length).toBeLessThan(64 * 1024);
    expect(after.patch).not.toContain('x'.repeat(100));
    await diff.getByText('const b = 3;').first().waitFor();
    expect(await horizontalOverflow(page, 1280)).toEqual([]);
    const [again] = await Promise.all([
      page.waitForEvent('download'),
      card.getByTestId('download-patch').click(),
    ]);
    expect(readFileSync(await again.path(), 'utf8')).toBe(after.patch);
    await card.getByTestId('changes-truncated').scrollIntoViewIfNeeded();
    await checkScreen(page, 'task-changes-truncated', { phone: false });

    // A patch near its 1 MB budget (twelve 300 KB files: three cut at 256 KB, the rest left out): the
    // files past the drawing budget are listed with Draw, so the page stays quick; Draw draws one.
    await call('POST', `/api/tasks/${taskId}/messages`, {
      text: 'for i in $(seq 1 12); do seq 1 12000 | sed "s/^/mid file $i line /" > mid$i.txt; done',
    });
    await card
      .getByTestId('changes-summary')
      .getByText(/^17 files changed/)
      .waitFor({ timeout: 60_000 });
    const full = (await call('GET', `/api/tasks/${taskId}/changes`)).body;
    expect(full.patch.length).toBeGreaterThan(600 * 1024);
    const skipped = diff.getByTestId('diff-skipped');
    await skipped.first().waitFor();
    expect(await skipped.count()).toBe(3);
    expect(await skipped.first().innerText()).toMatch(/mid\d+\.txt\s+[\d,]+ lines not drawn\s+Draw/);
    // Files before the budget ran out are drawn (the Viber's 1 MB left src/app.js out of this patch).
    await diff.locator('.d2h-file-name', { hasText: 'added.txt' }).waitFor();
    expect(await diff.getByTestId('diff-not-kept').filter({ hasText: 'src/app.js' }).count()).toBe(1);
    const started = Date.now();
    await skipped.first().getByRole('button', { name: 'Draw' }).click();
    await waitFor(async () => (await skipped.count()) === 2, 'one file drawn on request', 60_000);
    console.log(
      `one ${(full.patch.length / 3 / 1024).toFixed(0)} KB file drawn on request in ${Date.now() - started} ms`,
    );
    expect(await horizontalOverflow(page, 1280)).toEqual([]);
    await skipped.first().scrollIntoViewIfNeeded();
    await checkScreen(page, 'task-changes-not-drawn', { phone: false });
  }, 240_000);
});
