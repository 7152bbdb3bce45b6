// Installability: the manifest has what browsers require, its icons load, the service worker controls
// the page, and the initial JavaScript stays small (libsodium loads after first paint).
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { artifactsDir, newPage, signUpInUi, useBrowser, useServer, waitFor } from './harness.ts';

interface Manifest {
  name: string;
  short_name: string;
  start_url: string;
  display: string;
  icons: { src: string; sizes: string; type: string; purpose?: string }[];
}

describe('installable PWA', () => {
  it('has a complete manifest with loadable icons, and a service worker that controls the page', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    await page.goto(server.url);

    const href = await page.locator('link[rel=manifest]').getAttribute('href');
    const manifest = (await (await fetch(new URL(href!, server.url))).json()) as Manifest;
    expect(manifest).toMatchObject({
      name: 'OpenViber Environments',
      short_name: 'OpenViber',
      start_url: '/',
      display: 'standalone',
    });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    for (const icon of manifest.icons) {
      const res = await fetch(new URL(icon.src, server.url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('image/png');
    }

    await waitFor(
      () => page.evaluate(() => navigator.serviceWorker.controller?.state === 'activated'),
      'the service worker to control the page',
    );
    const sw = await fetch(new URL('/sw.js', server.url));
    expect(sw.headers.get('cache-control') ?? '').toMatch(/no-cache|no-store|max-age=0/);

    // Before first paint only the entry script (and what it statically imports) loads: libsodium is not among
    // them, and together they stay under 100 KB gzipped.
    const html = await (await fetch(server.url)).text();
    const initial = [
      ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g),
    ].map((m) => m[1]);
    expect(initial.length).toBeGreaterThan(0);
    expect(initial.some((u) => /crypto-/.test(u))).toBe(false);
    let gzipped = 0;
    for (const src of initial)
      gzipped += gzipSync(Buffer.from(await (await fetch(new URL(src, server.url))).arrayBuffer())).length;
    expect(gzipped).toBeLessThan(100 * 1024);

    // libsodium comes after first paint, in the background, so sealing works offline later.
    await signUpInUi(page, server);
    await waitFor(
      () => page.evaluate(() => performance.getEntriesByType('resource').some((e) => /crypto-/.test(e.name))),
      'libsodium to load after first paint',
    );
  });
});

describe('first screen', () => {
  it('sign-up screen at phone width, dark theme', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Username').fill('ab');
    await page.getByRole('button', { name: 'Create account' }).click();
    // Field errors come from the shared schema and sit next to the field.
    await page.locator('[id=username] ~ .field-error').waitFor();
    await page.screenshot({ path: join(artifactsDir(), 'phone-signup-dark.png') });
    await context.close();
  });
});

describe('a view that cannot load', () => {
  it('says so and offers a reload, instead of a blank page, when its chunk fails to load', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page, context } = await newPage(browser, { width: 390, height: 844 });
    // Before the service worker controls the page, as on a first visit; the editor's chunk fails.
    await context.route(/\/assets\/EnvironmentEditor-[^/]*\.js$/, (route) =>
      route.abort('internetdisconnected'),
    );
    await signUpInUi(page, server);
    await page.evaluate(() => (location.hash = '#/environments/new'));
    const failed = page.getByTestId('view-load-failed');
    await failed.waitFor();
    expect(await failed.innerText()).toMatch(/could not be loaded/);
    await page.screenshot({ path: join(artifactsDir(), 'phone-view-load-failed.png') });
    await context.unroute(/\/assets\/EnvironmentEditor-[^/]*\.js$/);
    await failed.getByRole('button', { name: 'Reload' }).click();
    await page.locator('#env-name').waitFor();
  });

  it('a save whose signing code cannot load says what failed, instead of "Encrypting and saving…" for ever', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page, context } = await newPage(browser, { width: 390, height: 844 });
    await context.route(/\/assets\/signing-actions-[^/]*\.js$/, (route) =>
      route.abort('internetdisconnected'),
    );
    await signUpInUi(page, server);
    await page.evaluate(() => (location.hash = '#/environments/new'));
    await page.locator('#env-name').fill('cannot-sign');
    await page.getByRole('button', { name: 'Manual' }).click();
    await page.getByTestId('save-env').click();
    const error = page.getByTestId('save-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/^Not saved: your Vibers' keys could not be checked/);
    expect(await page.getByTestId('save-env').innerText()).toBe('Create environment');
    await page.screenshot({ path: join(artifactsDir(), 'phone-save-error.png') });
  });
});
