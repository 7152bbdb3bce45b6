// What every screen must satisfy at both sizes: nothing wider than the device (the page and every
// inner scroll container), every status badge readable, and on a phone every button big enough to tap.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { artifactsDir } from './harness.ts';

/**
 * Elements wider than the device, or scroll containers scrolling sideways; `width` is the device's.
 * A box marked `data-own-scroll` may scroll sideways inside (what it holds is not checked); it must fit.
 */
export async function horizontalOverflow(page: Page, width: number): Promise<string[]> {
  return page.evaluate((deviceWidth) => {
    const bad: string[] = [];
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')}`;
    // Not innerWidth: a mobile viewport widens to fit overflowing content (PITFALLS).
    if (document.documentElement.scrollWidth > deviceWidth)
      bad.push(`page scrollWidth ${document.documentElement.scrollWidth} > ${deviceWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      // A box marked data-own-scroll (a diff) may scroll sideways inside itself; the box must still fit.
      const inOwnScroll = el.parentElement?.closest('[data-own-scroll]');
      if (inOwnScroll) continue;
      if (
        !el.hasAttribute('data-own-scroll') &&
        (style.overflowX === 'auto' || style.overflowX === 'scroll') &&
        el.scrollWidth > el.clientWidth + 1 &&
        el.clientWidth > 0
      )
        bad.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && r.right > deviceWidth + 1 && style.position !== 'fixed')
        bad.push(`${name(el)} ends at ${Math.round(r.right)} px`);
    }
    return bad.slice(0, 10);
  }, width);
}

/**
 * Every visible status badge: a non-empty label, at least 11 px text, at least 16 px tall, on screen,
 * and inside every box it is in (not cut off by a sidebar, nor spilling over the view beside it).
 */
export async function unreadableStatuses(page: Page, width: number): Promise<string[]> {
  return page.evaluate((deviceWidth) => {
    const bad: string[] = [];
    // The first box the badge sticks out of sideways: cut off (a sidebar that clips) or spilling
    // over its neighbour (one that does not). Inline boxes wrap around their content and are skipped.
    const outOf = (el: HTMLElement, r: DOMRect) => {
      for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (style.display === 'inline' || style.display === 'contents') continue;
        const b = box.getBoundingClientRect();
        if (r.left < b.left - 1 || r.right > b.right + 1) return box;
      }
      return null;
    };
    for (const el of document.querySelectorAll<HTMLElement>('.pill')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      const text = el.innerText.trim();
      const box = outOf(el, r);
      if (box)
        bad.push(
          `"${text}" at ${Math.round(r.left)}-${Math.round(r.right)} sticks out of ${box.tagName.toLowerCase()}.${[...box.classList].join('.')}`,
        );
      else if (!text || size < 11 || r.height < 16 || r.left < 0 || r.right > deviceWidth + 1)
        bad.push(
          `${el.dataset.status ?? '?'} "${text}" ${size}px ${Math.round(r.height)}px tall at ${Math.round(r.left)}-${Math.round(r.right)}`,
        );
    }
    return bad;
  }, width);
}

/**
 * Buttons, selects, links and chips smaller than 44 px on a phone. A link inside a sentence is exempt
 * (WCAG 2.5.8's inline exception); a link on its own, or styled as a box (a chip, a row), is not.
 */
export async function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    const inSentence = (el: HTMLElement) =>
      getComputedStyle(el).display === 'inline' &&
      (el.parentElement?.innerText.trim() ?? '') !== el.innerText.trim();
    for (const el of document.querySelectorAll<HTMLElement>('button, select, a[href]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      if (el.tagName === 'A' && inSentence(el)) continue;
      if (r.height < 44 - 0.5 || r.width < 44 - 0.5)
        bad.push(
          `${el.innerText.trim().slice(0, 30) || el.getAttribute('aria-label')} ${Math.round(r.width)}×${Math.round(r.height)}`,
        );
    }
    return bad;
  });
}

/** Asserts the screen's layout, then saves `<size>-<theme>-<name>.png` in test-artifacts/. */
export async function checkScreen(page: Page, name: string, options: { phone: boolean; dark?: boolean }) {
  const width = options.phone ? 390 : 1280;
  expect(await horizontalOverflow(page, width), `${name}: horizontal overflow`).toEqual([]);
  expect(await unreadableStatuses(page, width), `${name}: unreadable status`).toEqual([]);
  if (options.phone) expect(await smallTapTargets(page), `${name}: small tap targets`).toEqual([]);
  const file = `${options.phone ? 'phone' : 'desktop'}-${options.dark ? 'dark' : 'light'}-${name}.png`;
  await page.screenshot({ path: join(artifactsDir(), file) });
}

/**
 * checkScreen at 1280×800 and 390×844, light and dark; `ready` (after each resize) waits for what the
 * screen must show at that size. Leaves the page light at 1280×800.
 */
export async function checkScreens(page: Page, name: string, ready: () => Promise<unknown> = async () => {}) {
  for (const dark of [false, true]) {
    await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
    for (const phone of [false, true]) {
      await page.setViewportSize(phone ? { width: 390, height: 844 } : { width: 1280, height: 800 });
      await ready();
      await checkScreen(page, name, { phone, dark });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}
