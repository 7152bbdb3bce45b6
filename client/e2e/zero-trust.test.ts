// Zero trust (issue 9, design §5b) from the user's side, end to end: real Chromium, real server, a
// real `viber` onboarded with the command the app shows (it carries --trust), so the Viber runs only
// what a device holding the user's key signed. Screens of the new views at both widths, light and dark.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { environmentsMap, workspaceDocName } from '@openviber/shared';
import { sealSecret } from '@openviber/shared/crypto';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { checkScreens } from './layout-checks.ts';
import {
  createEnvironmentInUi,
  newPage,
  signInInUi,
  signUpInUi,
  useBrowser,
  useServer,
  waitFor,
  waitForValue,
  type TestUser,
  mapAndPrepare,
} from './harness.ts';

const VIBER_BIN = resolve(fileURLToPath(import.meta.url), '../../../daemon/bin/viber.js');

/** Runs the onboarding command exactly as the app shows it (its flags, through the repo's CLI), then `viber start`. */
async function startViberFromCommand(command: string) {
  // Through a shell, as the user runs it (the name is `"$(hostname)"`); only `npx <server>/viber.tgz`
  // is swapped for the repo's CLI, which the server's tarball is built from.
  const shellCommand = command.replace(/^npx --yes \S+ /, `'${process.execPath}' '${VIBER_BIN}' `);
  expect(shellCommand).not.toBe(command);
  const home = mkdtempSync(join(tmpdir(), 'openviber-e2e-zt-'));
  const env = { ...process.env, VIBER_HOME: home };
  let out = '';
  const code = await new Promise<number>((done) => {
    const child = spawn('bash', ['-c', shellCommand], { env });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (c) => done(c ?? -1));
  });
  if (code !== 0) throw new Error(`viber onboard failed: ${out}`);
  const daemon: ChildProcess = spawn(process.execPath, [VIBER_BIN, 'start'], { env });
  let log = '';
  daemon.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  daemon.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  afterAll(async () => {
    if (daemon.exitCode === null && daemon.signalCode === null)
      await new Promise<void>((done) => {
        daemon.once('exit', () => done());
        daemon.kill('SIGTERM');
      });
    rmSync(home, { recursive: true, force: true });
  });
  return { onboardOutput: out, log: () => log };
}

async function sendInTask(page: Page, text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

describe('zero trust in the app (real Viber pinned with --trust)', () => {
  it('[T3][T4][T5] signed by this device runs; API content awaits approval; an approved second device signs, an unapproved one cannot', async () => {
    const server = await useServer();
    onTestFailed(() => console.log(`server output (tail):\n${server.output().slice(-6000)}`));
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user: TestUser = await signUpInUi(page, server);

    // 1. The first device makes the key: the server gets the public half, the app shows the fingerprint once ready.
    await page
      .getByTestId('trust-banner')
      .getByText(/recovery code/)
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('trust-banner').getByRole('button', { name: 'Review' }).click();
    const fingerprint = (await page.getByTestId('signing-fingerprint').innerText()).trim();
    expect(fingerprint).toMatch(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
    const onServer = (await (
      await fetch(`${server.url}/api/account/signing-key`, {
        headers: { authorization: `Bearer ${user.token}` },
      })
    ).json()) as { fingerprint: string };
    expect(onServer.fingerprint).toBe(fingerprint);
    const recoveryCode = (await page.getByTestId('recovery-code').innerText()).trim();
    expect(recoveryCode).toMatch(/^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
    await checkScreens(page, 'signing-key-created');
    await page.getByTestId('recovery-saved').click();

    // 2. The onboarding command carries --trust <fingerprint>; a real Viber onboarded with it pins the key.
    await page.getByTestId('viber-health').click();
    await page.getByTestId('add-viber').click();
    const command = page.getByTestId('onboarding-command');
    await command.getByText(/ --trust /).waitFor();
    const text = (await command.innerText()).replace(/\s+/g, ' ').trim();
    expect(text).toContain(` --trust ${fingerprint}`);
    await checkScreens(page, 'add-viber-trust');
    const viber = await startViberFromCommand(text);
    await page
      .getByTestId('viber-health')
      .getByText('1 of 1 Viber online')
      .waitFor({ timeout: 30_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message}\nviber log:\n${viber.log()}`);
      });
    await page.getByTestId('viber-health').click();
    await page.getByTestId('viber-trust').getByText('Runs only what you sign').waitFor({ timeout: 20_000 });

    // 3. An environment and a task made in the app are signed: they prepare and run.
    await createEnvironmentInUi(page, 'signed-env');
    await page.getByRole('button', { name: 'Setup script' }).click();
    await page.locator('#env-setupScript').fill('echo prepared-by-signed-spec');
    await page.getByTestId('save-env').click();
    await page.getByTestId('saved-note').waitFor();
    await mapAndPrepare(page).catch((e: Error) => {
      throw new Error(`${e.message}\nviber log:\n${viber.log()}`);
    });
    await page.getByTestId('new-task').click();
    await sendInTask(page, 'echo signed-run-ok');
    const first = page.getByTestId('message').first();
    await waitFor(
      async () => (await first.getByTestId('run-output').innerText()).includes('signed-run-ok'),
      'the signed message to run',
    );
    const taskId = /#\/task\/([^/]+)/.exec(page.url())![1];

    // 3b. Cancel clicked while the signing key is still loading after a reload (a slow phone): it
    // waits for the key and signs, so the pinned Viber stops the command.
    await sendInTask(page, 'sleep 30; echo RAN-TO-THE-END');
    const sleeping = page.getByTestId('message').nth(1);
    await sleeping.locator('[data-status=started], [data-status=progress]').waitFor({ timeout: 30_000 });
    await page.route('**/api/account/signing-key', async (route) => {
      await new Promise((r) => setTimeout(r, 3_000));
      await route.continue();
    });
    await page.reload();
    await sleeping.getByTestId('cancel').click();
    await sleeping.locator('[data-status=cancelled]').waitFor({ timeout: 20_000 });
    await page.unroute('**/api/account/signing-key');
    const ran = sleeping.getByTestId('run-output');
    expect((await ran.count()) ? await ran.innerText() : '').not.toContain('RAN-TO-THE-END');

    // 4. A message written through the REST API is unsigned: it waits as "Awaiting approval"; Approve runs it.
    const res = await fetch(`${server.url}/api/tasks/${taskId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      // With a bidi isolate pair that would hide its text's real order: Approve shows them as markers.
      body: JSON.stringify({ text: 'echo from-the-api-approved \u2067 #\u2069' }),
    });
    expect(res.status).toBeLessThan(300);
    await page
      .getByTestId('trust-banner')
      .getByText(/1 awaiting approval/)
      .waitFor({ timeout: 30_000 });
    await page
      .getByTestId('message')
      .nth(2)
      .getByTestId('message-refusal')
      .getByText('Awaiting approval')
      .waitFor();
    expect(await page.getByTestId('message').nth(2).getByTestId('run-output').count()).toBe(0);
    await checkScreens(page, 'task-awaiting-approval');
    await page.getByTestId('trust-banner').getByRole('button', { name: 'Review' }).click();
    const approval = page.getByTestId('approval').filter({ hasText: 'from-the-api-approved' });
    await approval.getByTestId('approval-text').getByText('echo from-the-api-approved').waitFor();
    expect(await approval.getByTestId('approval-text').innerText()).toBe(
      'echo from-the-api-approved ⟨U+2067⟩ #⟨U+2069⟩',
    );
    await approval.getByTestId('hidden-chars').waitFor();
    await checkScreens(page, 'awaiting-approval');
    await approval.getByTestId('approve').click();
    await page.getByTestId('no-approvals').waitFor({ timeout: 30_000 });
    await page.goto(`${server.url}/#/task/${taskId}`);
    await waitFor(
      async () =>
        (await page.getByTestId('message').nth(2).getByTestId('run-output').innerText()).includes(
          'from-the-api-approved',
        ),
      'the approved API message to run',
    );

    // 4b. An environment, its mapping, a task and a message made through the API all wait; approving each
    // (the spec shown in full) lets the Viber prepare it and run the message.
    const apiCall = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const r = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(r.status, `${method} ${path}`).toBeLessThan(300);
      return (await r.json()) as T;
    };
    type ViberRow = { id: string; publicKey: string };
    const vibers = await apiCall<ViberRow[] | { vibers: ViberRow[] }>('GET', '/api/vibers');
    const { id: viberId, publicKey: viberKey } = (Array.isArray(vibers) ? vibers : vibers.vibers)[0];
    // A script seals its secret to the Viber itself; the app cannot read it, so Approve accepts it blind.
    const apiEnv = await apiCall<{ id: string }>('POST', '/api/environments', {
      name: 'api-env',
      type: 'manual',
      setupScript: 'echo prepared-from-api-spec',
      secrets: {
        API_SECRET: {
          sealed: { [viberId]: await sealSecret('a-long-api-secret-value', viberKey) },
          scope: 'runtime',
        },
      },
    });
    await apiCall('POST', `/api/environments/${apiEnv.id}/bindings`, { viberId, strategy: 'clone' });
    await page.goto(`${server.url}/#/trust`);
    const envApproval = page.getByTestId('approval').filter({ hasText: 'prepared-from-api-spec' });
    await envApproval.waitFor({ timeout: 30_000 });
    expect(await envApproval.getAttribute('data-kind')).toBe('environment');
    await checkScreens(page, 'approve-environment');
    await envApproval.getByText(/cannot read sealed secrets.*API_SECRET/).waitFor();
    await envApproval.getByTestId('approve').click();
    // Then the mapping (refused next, or already listed): approve whatever the API made until nothing waits.
    await waitFor(async () => {
      const next = page.getByTestId('approval').getByTestId('approve').first();
      if (await next.count()) await next.click().catch(() => undefined);
      const bindings = await apiCall<{ status: string }[] | { bindings: { status: string }[] }>(
        'GET',
        `/api/environments/${apiEnv.id}/bindings`,
      );
      return (Array.isArray(bindings) ? bindings : bindings.bindings)[0]?.status === 'ready';
    }, 'the approved API environment to prepare');
    const apiTask = await apiCall<{ id: string }>('POST', '/api/tasks', {
      environmentId: apiEnv.id,
      title: 'api task',
      viberId,
    });
    await apiCall('POST', `/api/tasks/${apiTask.id}/messages`, {
      text: 'test "$API_SECRET" = a-long-api-secret-value && echo api-task-approved-with-secret',
    });
    const msgApproval = page.getByTestId('approval').filter({ hasText: 'api-task-approved-with-secret' });
    await msgApproval.waitFor({ timeout: 30_000 });
    await msgApproval.getByTestId('approve').click();
    await waitFor(async () => {
      const t = await apiCall<{ runs: { output?: string }[] }>('GET', `/api/tasks/${apiTask.id}`);
      return t.runs.some((r) => /^api-task-approved-with-secret/m.test(r.output ?? ''));
    }, 'the approved API task to run');

    // 5. A second device gets the key by approval (code checked on the first), then signs: its message runs.
    const second = (await newPage(browser)).page;
    await signInInUi(second, server, user);
    await second
      .getByTestId('trust-banner')
      .getByText(/does not hold your signing key/)
      .waitFor();
    await second.getByTestId('trust-banner').getByRole('button', { name: 'Review' }).click();
    await second.getByTestId('request-key').click();
    const code = (await second.getByTestId('device-code').innerText()).trim();
    await checkScreens(second, 'new-device-code');
    await page.goto(`${server.url}/#/trust`);
    const request = page.getByTestId('device-request-row').first();
    await request.getByTestId('device-code-input').fill('0000-0000-0000');
    await request.getByTestId('approve-device').click();
    await request.getByText('The code does not match').waitFor();
    await request.getByTestId('device-code-input').fill(code.toLowerCase());
    await checkScreens(page, 'approve-device');
    await request.getByTestId('approve-device').click();
    await second.getByText('This device holds the key').waitFor({ timeout: 30_000 });
    expect((await second.getByTestId('signing-fingerprint').innerText()).trim()).toBe(fingerprint);
    await second.goto(`${server.url}/#/task/${taskId}`);
    await sendInTask(second, 'echo second-device-signed');
    await waitFor(
      async () =>
        (await second.getByTestId('message').nth(3).getByTestId('run-output').innerText()).includes(
          'second-device-signed',
        ),
      'the approved device’s message to run',
      30_000,
    ).catch(async (e: Error) => {
      // What the server holds of the task (were the message written and signed, did a run start?) and the Viber's log.
      const held = await fetch(`${server.url}/api/tasks/${taskId}`, {
        headers: { authorization: `Bearer ${user.token}` },
      }).then((r) => r.text());
      throw new Error(`${e.message}\ntask on the server: ${held}\nviber log:\n${viber.log().slice(-4000)}`);
    });

    // 6. A device never approved cannot sign: its message waits as awaiting approval and does not run.
    const third = (await newPage(browser)).page;
    await signInInUi(third, server, user);
    await third
      .getByTestId('trust-banner')
      .getByText(/does not hold your signing key/)
      .waitFor();
    await third.getByTestId('new-task').click();
    await sendInTask(third, 'echo unapproved-device');
    await page.goto(`${server.url}/#/trust`);
    const waiting = page.getByTestId('approval').filter({ hasText: 'unapproved-device' });
    await waiting.waitFor({ timeout: 30_000 });
    expect(await waiting.getAttribute('data-reason')).toBe('unsigned');
    expect(await third.getByTestId('message').first().getByTestId('run-output').count()).toBe(0);
    await checkScreens(third, 'unapproved-device');

    // 7. The recovery code the first device showed once gives the key to any device; a wrong one is named.
    await third.goto(`${server.url}/#/trust`);
    await third.getByTestId('recovery-input').fill(recoveryCode.slice(0, -1));
    await third.getByRole('button', { name: 'Use the recovery code' }).click();
    await third.getByText(/A recovery code has 52/).waitFor();
    const wrong = recoveryCode.startsWith('A') ? `B${recoveryCode.slice(1)}` : `A${recoveryCode.slice(1)}`;
    await third.getByTestId('recovery-input').fill(wrong);
    await third.getByRole('button', { name: 'Use the recovery code' }).click();
    await third.getByText('This recovery code is not for your account’s signing key.').waitFor();
    await third.getByTestId('recovery-input').fill(recoveryCode.toLowerCase());
    await third.getByRole('button', { name: 'Use the recovery code' }).click();
    await third.getByText('This device holds the key').waitFor({ timeout: 30_000 });
  }, 300_000);

  it('[T10] a setup script the server rewrote in its database is not signed by a Save of another field: the Viber does not run it, the app asks for review, Approve shows it', async () => {
    const server = await useServer();
    onTestFailed(() => console.log(`server output (tail):\n${server.output().slice(-6000)}`));
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user: TestUser = await signUpInUi(page, server);
    await page
      .getByTestId('trust-banner')
      .getByText(/recovery code/)
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('trust-banner').getByRole('button', { name: 'Review' }).click();
    await page.getByTestId('recovery-saved').click();
    await page.getByTestId('viber-health').click();
    await page.getByTestId('add-viber').click();
    const command = page.getByTestId('onboarding-command');
    await command.getByText(/ --trust /).waitFor();
    const viber = await startViberFromCommand((await command.innerText()).replace(/\s+/g, ' ').trim());
    onTestFailed(() => console.log(`viber log:\n${viber.log()}`));
    await page.getByTestId('viber-health').getByText('1 of 1 Viber online').waitFor({ timeout: 30_000 });

    // An environment the user made and signed, prepared on the pinned Viber.
    const envId = await createEnvironmentInUi(page, 'reviewed-env');
    await page.getByRole('button', { name: 'Setup script' }).click();
    await page.locator('#env-setupScript').fill('echo the-users-own-setup');
    await page.getByTestId('save-env').click();
    await page.getByTestId('saved-note').waitFor();
    await mapAndPrepare(page);

    // Whoever holds the server's database rewrites the setup script, leaving the signature as it was.
    const marker = join(mkdtempSync(join(tmpdir(), 'openviber-e2e-planted-')), 'ran');
    const planted = `touch ${marker}`;
    await server.stop();
    const db = new DatabaseSync(join(server.dataDir, 'openviber.sqlite'));
    const name = workspaceDocName(user.userId);
    const row = db.prepare('SELECT state FROM documents WHERE name = ?').get(name) as { state: Uint8Array };
    const doc = new Y.Doc();
    Y.applyUpdate(doc, row.state);
    (environmentsMap(doc).get(envId) as Y.Map<unknown>).set('setupScript', planted);
    db.prepare('UPDATE documents SET state = ? WHERE name = ?').run(Y.encodeStateAsUpdate(doc), name);
    db.close();
    await server.restart();

    // The user, in the editor, changes an unrelated field, saves, and prepares again as the app offers.
    await page.goto(`${server.url}/#/environments/${envId}`);
    await waitForValue(page, '#env-setupScript', planted);
    await page.locator('#env-agentCommand').fill('claude -p');
    await page.getByTestId('save-env').click();
    await page.getByTestId('saved-note').waitFor();
    await page.getByTestId('reprepare').getByRole('button', { name: 'Prepare now' }).click();

    // The Viber does not run the rewritten script: it refuses the environment (or, were it signed, runs it).
    await page.goto(`${server.url}/#/trust`);
    const refused = page
      .locator('[data-testid=approval][data-kind=environment]')
      .filter({ hasText: /seen by/ });
    await waitFor(
      async () => existsSync(marker) || (await refused.count()) > 0,
      'the Viber to refuse the environment (or run the rewritten script)',
    );
    expect(existsSync(marker), 'the Viber ran the rewritten setup script').toBe(false);

    // The app says the environment changed outside it and needs review…
    await page.goto(`${server.url}/#/environments/${envId}`);
    const review = page.getByTestId('spec-review');
    await review.getByText('Changed outside this app — review').waitFor();
    await checkScreens(page, 'spec-changed-outside');
    // …and Approve shows the rewritten script, in full and as what changed since the user's version.
    await review.getByTestId('spec-review-open').click();
    const approval = page.locator('[data-testid=approval][data-kind=environment]');
    await approval.getByText(planted).first().waitFor();
    const changes = approval.getByTestId('spec-changes');
    await changes.getByText('echo the-users-own-setup').waitFor();
    await changes.getByText(planted).waitFor();
    await checkScreens(page, 'approve-changed-environment');
    expect(existsSync(marker)).toBe(false);

    // Approve is the user's click on exactly that: now the Viber prepares it.
    await approval.getByTestId('approve').click();
    await waitFor(() => existsSync(marker), 'the approved setup script to run');
    await page.getByTestId('no-approvals').waitFor({ timeout: 30_000 });

    // [T5] A task started before its environment was mapped: its message was signed for no Viber.
    // Mapped later, "Run on" signs it again for that Viber: it runs, and so does the next one.
    await page.goto(`${server.url}/#/`);
    const lateEnv = await createEnvironmentInUi(page, 'late-env');
    await page.getByTestId('new-task').click();
    await sendInTask(page, 'echo before-mapping');
    const lateTask = await waitFor(() => /#\/task\/([^/]+)/.exec(page.url())?.[1], 'the new task');
    await page.goto(`${server.url}/#/environments/${lateEnv}`);
    await mapAndPrepare(page);
    await page.goto(`${server.url}/#/task/${lateTask}`);
    await page.getByRole('button', { name: /^Run on / }).click();
    const early = page.getByTestId('message').first();
    await waitFor(
      async () =>
        (await early.getByTestId('run-output').count()) > 0 &&
        (await early.getByTestId('run-output').innerText()).includes('before-mapping'),
      'the message signed before the mapping to run on the Viber it was moved to',
      30_000,
    );
    await sendInTask(page, 'echo after-mapping');
    await waitFor(
      async () => (await page.getByTestId('message').nth(1).getByTestId('run-output').count()) > 0,
      'the next message to run',
      30_000,
    );
  }, 300_000);

  it("[T12] every device and the recovery code lost: the app makes a new key on the account password; the old key's devices stop signing", async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const first = (await newPage(browser)).page;
    const user = await signUpInUi(first, server);
    await first.goto(`${server.url}/#/trust`);
    await first.getByText('This device holds the key').waitFor({ timeout: 30_000 });
    const oldFingerprint = (await first.getByTestId('signing-fingerprint').innerText()).trim();
    // Only a device without the key is offered the reset.
    expect(await first.getByTestId('key-reset').count()).toBe(0);

    const second = (await newPage(browser)).page;
    await signInInUi(second, server, user);
    await second.goto(`${server.url}/#/trust`);
    await second.getByTestId('request-key').waitFor();
    await second.getByTestId('key-reset').locator('summary').click();
    await second.getByTestId('reset-password').fill('not my password');
    await second.getByTestId('reset-key').click();
    await second.getByTestId('key-reset').getByRole('alert').getByText('The password is wrong').waitFor();
    await checkScreens(second, 'key-reset');
    // Still the old key on the server: a refused reset changes nothing.
    const keyOnServer = async () =>
      (
        (await (
          await fetch(`${server.url}/api/account/signing-key`, {
            headers: { authorization: `Bearer ${user.token}` },
          })
        ).json()) as { fingerprint: string }
      ).fingerprint;
    expect(await keyOnServer()).toBe(oldFingerprint);

    await second.getByTestId('reset-password').fill(user.password);
    await second.getByTestId('reset-key').click();
    await second.getByText('This device holds the key').waitFor({ timeout: 30_000 });
    await second.getByTestId('recovery-code').waitFor();
    const newFingerprint = (await second.getByTestId('signing-fingerprint').innerText()).trim();
    expect(newFingerprint).not.toBe(oldFingerprint);
    expect(await keyOnServer()).toBe(newFingerprint);

    // The device that held the old key learns it no longer signs for the account: it shows the new
    // key's fingerprint and asks for it like any new device.
    await first.reload();
    await first.getByText('This device does not hold the key yet').waitFor({ timeout: 30_000 });
    expect((await first.getByTestId('signing-fingerprint').innerText()).trim()).toBe(newFingerprint);
    await first.getByTestId('request-key').waitFor();
  }, 120_000);
});
