// One factory per real part of the end-to-end tests: the sync server (child process), Chromium, a signed-up user, a Viber.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { generateKeyPair } from '@openviber/shared/crypto';
import { spawnServer, type SpawnedServer } from '../../sync-server/testing/spawn-server.ts';
import { waitFor } from '../../sync-server/testing/peers.ts';

/** Polls `check` until it returns a truthy value (or stops throwing); never a fixed sleep. */
export { waitFor };

export const ARTIFACTS = resolve(fileURLToPath(import.meta.url), '../../../test-artifacts');

/** Starts a real server on a free port with its own DATA_DIR; stopped after the file's tests. */
export async function useServer(env?: Record<string, string>): Promise<SpawnedServer> {
  const server = await spawnServer({ env });
  afterAll(() => server.dispose());
  return server;
}

/** Launches Debian's Chromium headless; closed after the file's tests. */
export async function useBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  afterAll(() => browser.close());
  return browser;
}

export interface TestUser {
  username: string;
  password: string;
  token: string;
  userId: string;
}

async function post<T>(server: SpawnedServer, path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

let counter = 0;
export const uniqueName = (prefix: string) =>
  `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Signs a user up in the UI of `page` (the real flow) and returns its session. */
export async function signUpInUi(page: Page, server: SpawnedServer): Promise<TestUser> {
  const username = uniqueName('u');
  const password = 'correct horse battery';
  await page.goto(server.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('new-task').waitFor();
  const session = await page.evaluate(
    () =>
      JSON.parse(localStorage.getItem('openviber.session') ?? 'null') as {
        token: string;
        user: { id: string };
      },
  );
  return { username, password, token: session.token, userId: session.user.id };
}

/** Signs the same user in on another context (another device). */
export async function signInInUi(page: Page, server: SpawnedServer, user: TestUser): Promise<void> {
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('new-task').waitFor();
}

/** Registers a Viber for the user through the real API, as `viber onboard` does; returns its key pair. */
export async function registerViber(server: SpawnedServer, user: TestUser, name = 'laptop') {
  const { token } = await post<{ token: string }>(server, '/api/vibers/onboarding-tokens', {}, user.token);
  const keys = await generateKeyPair();
  const res = await post<{ viberId: string; authToken: string }>(server, '/api/vibers/onboard', {
    token,
    name,
    publicKey: keys.publicKey,
  });
  return { ...res, keys };
}

export async function newPage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  afterAll(() => context.close().catch(() => undefined));
  const page = await context.newPage();
  // An uncaught error in the app fails the file: a flow that "works" while throwing is a bug.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
  afterAll(() => {
    if (errors.length) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
  });
  return { context, page };
}

/** Waits until the app's indicator says every change is stored on the server. */
export async function waitSaved(page: Page): Promise<void> {
  await page.locator('[data-testid=sync-indicator][data-state=saved]').first().waitFor({ timeout: 20_000 });
}

/** Creates an environment of type Manual through the editor; returns its id. */
export async function createEnvironmentInUi(page: Page, name: string): Promise<string> {
  await page.getByTestId('create-env').first().click();
  await page.locator('#env-name').fill(name);
  await page.getByRole('button', { name: 'Manual' }).click();
  await page.getByTestId('save-env').click();
  await page.waitForURL(/#\/environments\/env_/);
  return /#\/environments\/([^/]+)/.exec(page.url())![1];
}

export function artifactsDir(): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

const VIBER_BIN = resolve(fileURLToPath(import.meta.url), '../../../daemon/bin/viber.js');

/** A real Viber: `viber onboard` then `viber start` through the public CLI, in its own VIBER_HOME; killed after the file. */
export async function useRealViber(
  server: SpawnedServer,
  user: TestUser,
  name = 'workstation',
  /** More environment for the daemon (and so for what it runs), e.g. an offline npm cache. */
  env: Record<string, string> = {},
  /** More `viber onboard` flags, e.g. ['--trust', fingerprint]. */
  onboardArgs: string[] = [],
) {
  const home = mkdtempSync(join(tmpdir(), 'openviber-e2e-viber-'));
  const { token } = await post<{ token: string }>(server, '/api/vibers/onboarding-tokens', {}, user.token);
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string }>((done) => {
      const child = spawn(process.execPath, [VIBER_BIN, ...args], {
        env: { ...process.env, VIBER_HOME: home },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => done({ code: code ?? -1, out }));
    });
  const onboarded = await run([
    'onboard',
    '--server',
    server.url,
    '--token',
    token,
    '--name',
    name,
    ...onboardArgs,
  ]);
  if (onboarded.code !== 0) throw new Error(`viber onboard failed: ${onboarded.out}`);
  let log = '';
  let daemon: ChildProcess | null = null;
  const start = () => {
    const child = spawn(process.execPath, [VIBER_BIN, 'start'], {
      env: { ...process.env, ...env, VIBER_HOME: home },
    });
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    daemon = child;
  };
  const stop = async () => {
    const child = daemon;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  };
  start();
  afterAll(async () => {
    await stop();
    rmSync(home, { recursive: true, force: true });
  });
  return { home, output: () => log, start, stop };
}

/**
 * Maps the environment open in the editor to the user's Viber and prepares it; waits (up to 60 s)
 * for its card to reach `status`, and returns the card.
 */
export async function mapAndPrepare(page: Page, status: 'ready' | 'error' = 'ready') {
  await page.getByRole('button', { name: 'Map to Viber →' }).click();
  await page.getByTestId('map-prepare').click();
  const card = page.getByTestId('binding-card');
  await card.locator(`[data-status=${status}]`).waitFor({ timeout: 60_000 });
  return card;
}

/** Waits until the input matched by `selector` holds `value` (inputs keep their value as a property, not an attribute). */
export async function waitForValue(page: Page, selector: string, value: string): Promise<void> {
  await waitFor(
    async () => (await page.locator(selector).inputValue({ timeout: 1_000 })) === value,
    `${selector} to be ${JSON.stringify(value)}`,
  );
}
