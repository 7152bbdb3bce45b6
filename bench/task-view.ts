// The web app's task view with a long conversation, in real Chromium against a real server: the time
// from Send to the new message on screen with 10 and with 2,000 messages, and the time to open a
// task of 2,000 messages (route change to its messages rendered). The messages are written by a
// Node peer of the task document (the same Yjs writes the app makes), so no rate limit shapes them.
import { chromium, type Page } from 'playwright-core';
import * as Y from 'yjs';
import { appendMessage, environmentCreateSchema, taskDocName } from '@openviber/shared';
import { api, connectPeer, signup, waitFor } from '../sync-server/testing/peers.ts';
import { spawnServer } from '../sync-server/testing/spawn-server.ts';
import { median, ms, unavailable, type Row } from './report.ts';

export interface TaskViewTimes {
  sendSmallMs: number;
  sendLargeMs: number;
  openLargeMs: number;
  small: number;
  large: number;
}

/** Milliseconds from submitting the composer to the sent text rendered as the last message. */
async function timeSend(page: Page, text: string): Promise<number> {
  return page.evaluate(async (t) => {
    const area = document.querySelector<HTMLTextAreaElement>('textarea[aria-label=Message]')!;
    area.value = t;
    area.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(r));
    const t0 = performance.now();
    area.form!.requestSubmit();
    await new Promise<void>((done) => {
      const check = () => {
        const all = document.querySelectorAll('[data-testid=message] .msg-text');
        if (all[all.length - 1]?.textContent === t) done();
        else requestAnimationFrame(check);
      };
      check();
    });
    return performance.now() - t0;
  }, text);
}

/** Milliseconds from the route change to the task's last message rendered. */
async function timeOpen(page: Page, taskId: string, lastText: string): Promise<number> {
  await page.evaluate(() => (location.hash = '#/'));
  await page.locator('.hero h1').first().waitFor();
  return page.evaluate(
    async ([id, last]) => {
      const t0 = performance.now();
      location.hash = `#/task/${id}`;
      await new Promise<void>((done) => {
        const check = () => {
          const all = document.querySelectorAll('[data-testid=message] .msg-text');
          if (all[all.length - 1]?.textContent === last) done();
          else requestAnimationFrame(check);
        };
        check();
      });
      return performance.now() - t0;
    },
    [taskId, lastText] as const,
  );
}

export async function taskView(small = 10, large = 2_000, rounds = 5): Promise<TaskViewTimes> {
  const server = await spawnServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const user = await signup(server.url);
    const env = await api(server.url, 'POST', '/api/environments', {
      token: user.token,
      body: environmentCreateSchema.parse({ name: 'bench', type: 'manual' }),
    });
    if (env.status !== 201) throw new Error(`environment: ${env.status} ${JSON.stringify(env.body)}`);
    const tasks: Record<number, string> = {};
    for (const n of [small, large]) {
      const task = await api(server.url, 'POST', '/api/tasks', {
        token: user.token,
        body: { environmentId: env.body.id, title: `${n} messages` },
      });
      if (task.status !== 201) throw new Error(`task: ${task.status} ${JSON.stringify(task.body)}`);
      tasks[n] = task.body.id as string;
      const peer = connectPeer(server.wsUrl, taskDocName(user.userId, task.body.id), user.token, new Y.Doc());
      await peer.synced;
      for (let i = 0; i < n; i++) appendMessage(peer.doc, `echo message ${i + 1}`, user.userId);
      await waitFor(() => peer.provider.unsyncedChanges === 0, 'messages stored', 60_000);
      peer.destroy();
    }

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(server.url);
    await page.evaluate(
      ([token, id, username]) =>
        localStorage.setItem('openviber.session', JSON.stringify({ token, user: { id, username } })),
      [user.token, user.userId, user.username] as const,
    );
    await page.reload();
    await page.getByTestId('new-task').waitFor();

    const sends: Record<number, number[]> = { [small]: [], [large]: [] };
    const opens: number[] = [];
    for (const n of [small, large]) {
      let last = `echo message ${n}`;
      const open = await timeOpen(page, tasks[n], last);
      if (n === large) opens.push(open);
      for (let r = 0; r < rounds; r++) {
        last = `echo bench ${n} ${r}`;
        sends[n].push(await timeSend(page, last));
      }
      if (n === large) for (let r = 0; r < rounds - 1; r++) opens.push(await timeOpen(page, tasks[n], last));
    }
    return {
      sendSmallMs: median(sends[small]),
      sendLargeMs: median(sends[large]),
      openLargeMs: median(opens),
      small,
      large,
    };
  } finally {
    await browser.close();
    await server.dispose();
  }
}

/** The bench section: rows for RESULTS.md and the method line; a failure becomes "unavailable" rows. */
export async function taskViewSection(quick: boolean): Promise<{ rows: Row[]; method: string }> {
  const large = quick ? 500 : 2_000;
  const rounds = quick ? 3 : 9;
  const method = `task view: real Chromium (1280×800) on the built app against a real server; a task of 10 and one of ${large.toLocaleString('en-US')} messages written by a Node peer of the task document. Send: from the composer's submit to the sent text rendered as the last message (next animation frame included), median of ${rounds}. Open: from the route change (home → task) to its last message rendered, median of ${rounds}. The view renders the latest 50 messages (Show earlier adds more) and re-renders only messages whose content changed.`;
  try {
    const r = await taskView(10, large, rounds);
    const ratio = r.sendLargeMs / r.sendSmallMs;
    return {
      method,
      rows: [
        { figure: 'task view: send at 10 messages', value: ms(r.sendSmallMs), reference: '—', target: '—' },
        {
          figure: `task view: send at ${r.large.toLocaleString('en-US')} messages`,
          value: ms(r.sendLargeMs),
          reference: ms(r.sendSmallMs),
          ratio,
          target: '≤ 1.5× at 10',
          pass: ratio <= 1.5,
        },
        {
          figure: `task view: open a ${r.large.toLocaleString('en-US')}-message task`,
          value: ms(r.openLargeMs),
          reference: '—',
          target: '< 200 ms',
          pass: r.openLargeMs < 200,
        },
      ],
    };
  } catch (error) {
    const reason = `error: ${(error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 160)}`;
    return { method, rows: [unavailable('task view: send / open', reason, '≤ 1.5× / < 200 ms')] };
  }
}
