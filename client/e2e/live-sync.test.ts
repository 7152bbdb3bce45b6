// Two browser contexts of one user are two devices: each sees the other's edits live.
import { taskDocName } from '@openviber/shared';
import { describe, expect, it } from 'vitest';
import { connectPeer } from '../../sync-server/testing/peers.ts';
import {
  createEnvironmentInUi,
  newPage,
  signInInUi,
  signUpInUi,
  type TestUser,
  useBrowser,
  useServer,
  waitFor,
  waitForValue,
  waitSaved,
} from './harness.ts';
import { checkScreens } from './layout-checks.ts';

describe('two devices of one user', () => {
  it('see each other’s edits live: a new environment, a rename, a new task', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const a = await newPage(browser);
    const b = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    await signInInUi(b.page, server, user);

    await createEnvironmentInUi(a.page, 'shared-env');
    await b.page.getByTestId('env-row').getByText('shared-env').waitFor();

    // B renames it in its editor; A's open editor and sidebar follow.
    await b.page.getByTestId('env-row').getByRole('button', { name: 'Edit' }).click();
    await b.page.locator('#env-name').fill('renamed-on-b');
    await b.page.locator('#env-description').fill('described on B');
    await b.page.getByTestId('save-env').click();
    await a.page.getByTestId('env-switcher').getByText('renamed-on-b').waitFor();
    await waitForValue(a.page, '#env-description', 'described on B');

    // A starts a task; it shows up in B's task list.
    await a.page.getByTestId('new-task').click();
    await a.page.getByLabel('Message').fill('echo from A');
    await a.page.getByLabel('Message').press('Enter');
    await b.page.getByTestId('task-row').getByText('echo from A').waitFor();

    // Pinning on one device pins on the other; the search filters the task list.
    await a.page.getByTestId('env-row').getByRole('button', { name: 'Pin renamed-on-b' }).click();
    await b.page.getByTestId('env-row').locator('.star.on').waitFor();
    await b.page.getByLabel('Search tasks').fill('no such task');
    await b.page.getByText('No task matches').waitFor();
    await b.page.getByLabel('Search tasks').fill('FROM a');
    await b.page.getByTestId('task-row').getByText('echo from A').waitFor();
  });
});

describe('a session that ends', () => {
  it('keeps the local copy, says so, and leads back to sign-in', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const a = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    await createEnvironmentInUi(a.page, 'kept-locally');
    await waitSaved(a.page);

    // The token is revoked elsewhere (sign-out on another device does this).
    const res = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.ok).toBe(true);
    // Shown above the main view and, for a phone's home screen, in the sidebar: the visible one.
    await a.page.getByText('Your session has ended').filter({ visible: true }).waitFor({ timeout: 30_000 });
    await a.page.getByTestId('env-row').getByText('kept-locally').waitFor();
    await a.page.getByRole('button', { name: 'Sign in again' }).click();
    await a.page.getByText('Your session ended. Sign in again to keep syncing.').waitFor();
    await a.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });
});

describe('a device refused by a limit', () => {
  it('[S16] is not told its session ended: a second device past the sockets per user stays signed in, and gets in by itself once there is room', async () => {
    const server = await useServer({ MAX_SOCKETS_PER_USER: '1' });
    const browser = await useBrowser();
    const a = await newPage(browser);
    const b = await newPage(browser);
    const user = await signUpInUi(a.page, server);
    await createEnvironmentInUi(a.page, 'first-device');
    await waitSaved(a.page);
    await signInInUi(b.page, server, user);
    // The server refused B's workspace with the limit's reason (not its token)...
    await waitFor(() => server.output().includes('too many connections for this user'), 'the refusal');
    // ...and B shows the app with the limit's reason, not the sign-in prompt of an ended session.
    await b.page.getByTestId('new-task').waitFor();
    const banner = () => b.page.getByTestId('limit-refusal').filter({ visible: true });
    const reason = 'too many connections for this user: at most 1 at once';
    await banner().getByText(reason).waitFor();
    // The limit's words, without the code the server put in front of them ([S11]).
    expect(await banner().innerText()).not.toContain('4413');
    expect(await b.page.getByText('Your session has ended').count()).toBe(0);
    // On a phone the home screen is the sidebar: the reason is shown there too.
    await checkScreens(b.page, 'limit-refusal', () => banner().getByText(reason).waitFor());
    // The first device goes: B gets in by itself (its retry, or its socket's reconnect once the
    // server closed it for never authenticating), and the notice goes with the limit.
    await a.page.close();
    await banner().waitFor({ state: 'detached', timeout: 45_000 });
    await b.page.getByTestId('env-row').getByText('first-device').waitFor();
  });
});

/** Another device holds a dense task document open: ~0.75 MiB of a 1 MiB per-user limit by the server's estimate. */
async function denseDocument(server: Awaited<ReturnType<typeof useServer>>, user: TestUser, envId: string) {
  const res = await fetch(`${server.url}/api/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ environmentId: envId, title: 'dense' }),
  });
  expect(res.ok).toBe(true);
  const task = (await res.json()) as { id: string };
  const dense = connectPeer(server.wsUrl, taskDocName(user.userId, task.id), user.token);
  await dense.synced;
  dense.doc.transact(() => {
    for (let i = 0; i < 1_600; i++) dense.doc.getMap('m').set(`k${i}`, i);
  });
  await waitFor(() => !dense.provider.hasUnsyncedChanges, 'the dense document acknowledged');
  return dense;
}

describe('a change a server limit refuses', () => {
  const REASON = /too much of this user's data is open on this server/;
  /** A signed-up device with an environment, on a server whose per-user memory limit is 1 MiB. */
  async function deviceUnderLimit(envName: string) {
    const server = await useServer({ MAX_LOADED_MEMORY_PER_USER: String(1024 * 1024) });
    const a = await newPage(await useBrowser());
    const user = await signUpInUi(a.page, server);
    const envId = await createEnvironmentInUi(a.page, envName);
    return { server, a, user, envId };
  }
  it("[S11a] stays on the device through a reload, says why, and reaches the server once the user's other documents close", async () => {
    const { server, a, user, envId } = await deviceUnderLimit('over-the-limit');
    await waitSaved(a.page);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.ok, `${method} ${path}`).toBe(true);
      return (await res.json()) as Record<string, unknown>;
    };
    const dense = await denseDocument(server, user, envId);

    // A 15 KB maintenance script: with the dense document loaded, past the limit.
    const script = Array.from(
      { length: 300 },
      (_, i) => `echo "maintenance step ${i} ${'x'.repeat(24)}"`,
    ).join('\n');
    await a.page.getByTestId('env-row').getByRole('button', { name: 'Edit' }).click();
    await a.page.locator('#env-maintenanceScript').fill(script);
    await a.page.getByTestId('save-env').click();
    const banner = () => a.page.getByTestId('limit-refusal').filter({ visible: true });
    await banner().getByText(REASON).waitFor({ timeout: 30_000 });
    await banner()
      .getByText(/Your changes stay on this device/)
      .waitFor();
    // Where the user is looking: the save button's note, and the sync indicator — neither says "saved"
    // or "syncing" as if the server had it or were taking it.
    await a.page
      .getByTestId('saved-note')
      .getByText(/Saved on this device; a server limit refused it for now/)
      .waitFor();
    await a.page
      .locator('[data-testid=sync-indicator][data-state=refused]')
      .filter({ visible: true })
      .waitFor();
    expect((await api('GET', `/api/environments/${envId}`)).maintenanceScript ?? '').not.toBe(script);
    await checkScreens(a.page, 'refused-change', () => banner().getByText(REASON).waitFor());

    // Reloaded while refused, the app still has the change (IndexedDB) and says why again.
    await a.page.reload();
    await banner().getByText(REASON).waitFor({ timeout: 30_000 });
    await a.page.getByTestId('env-row').getByRole('button', { name: 'Edit' }).click();
    expect(await a.page.locator('#env-maintenanceScript').inputValue()).toBe(script);
    // While the limit holds, the app tries again by itself (each try a refusal the server logs).
    const refusals = () =>
      server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('closing connection') && REASON.test(line)).length;
    const seen = refusals();
    await waitFor(() => refusals() >= seen + 2, 'the app to try again twice', 30_000);

    // The other device closes its document: the app's next try is let in, the notice goes and the
    // change is on the server.
    dense.destroy();
    // Try again asks for the refused document now, in place: the page is not reloaded.
    await a.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));
    await banner().getByRole('button', { name: 'Try again' }).click();
    await banner().waitFor({ state: 'detached', timeout: 60_000 });
    expect(await a.page.evaluate(() => (window as { stayed?: boolean }).stayed)).toBe(true);
    await waitSaved(a.page);
    await waitFor(
      async () => (await api('GET', `/api/environments/${envId}`)).maintenanceScript === script,
      'the refused change on the server',
    );
  });

  it('[S11a] a message sent while a limit refuses its task waits on the device, says so in the task, and is sent once the limit allows it', async () => {
    const { server, a, user, envId } = await deviceUnderLimit('refused-task-env');
    await a.page.getByTestId('new-task').click();
    await a.page.getByLabel('Message').fill('echo first');
    await a.page.getByLabel('Message').press('Enter');
    await a.page.waitForFunction(() => /^#\/task\/(?!new)[^/]+$/.test(location.hash));
    const taskId = /#\/task\/([^/?]+)/.exec(a.page.url())![1];
    await waitSaved(a.page);
    const dense = await denseDocument(server, user, envId);

    // 15 KB in one message: with the dense document loaded, past the limit.
    const long = `echo ${'long-argument-'.repeat(1_070)}`;
    await a.page.getByLabel('Message').fill(long);
    await a.page.getByLabel('Message').press('Enter');
    const note = a.page.getByTestId('refused-note');
    await note.getByText(REASON).waitFor({ timeout: 30_000 });
    await note.getByText(/New messages are saved here and sent once it lets them in/).waitFor();
    // A 15 KB message shows its first lines, and all of it on request.
    const sent = a.page.getByTestId('message').last();
    expect((await sent.getByTestId('message-text').boundingBox())!.height).toBeLessThan(260);
    await sent.getByTestId('message-more').getByText('Show all (15 KB)').click();
    expect((await sent.getByTestId('message-text').boundingBox())!.height).toBeGreaterThan(600);
    await sent.getByTestId('message-more').getByText('Show less').click();
    await checkScreens(a.page, 'refused-task', () => note.getByText(REASON).waitFor());
    const messagesOnServer = async () => {
      const res = await fetch(`${server.url}/api/tasks/${taskId}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      return ((await res.json()) as { messages: { text: string }[] }).messages.map((m) => m.text);
    };
    expect(await messagesOnServer()).toEqual(['echo first']);

    dense.destroy();
    await note.waitFor({ state: 'detached', timeout: 60_000 });
    await waitFor(
      async () => (await messagesOnServer()).join('|') === `echo first|${long}`,
      'the message on the server, once',
    );
  });
});
