import { describe, expect, it, vi } from 'vitest';
import { batchedWriter, RUN_OUTPUT_BATCH } from './batched-writer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('batchedWriter', () => {
  it('[D4] light run output reaches the sink within the short interval, in order and complete', async () => {
    const got: { text: string; at: number }[] = [];
    const out = batchedWriter((text) => got.push({ text, at: performance.now() }), RUN_OUTPUT_BATCH);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const before = got.length;
      out.write(`line ${i}\n`);
      while (got.length === before) await sleep(1);
      delays.push(got[got.length - 1].at - t0);
    }
    expect(got.map((g) => g.text).join('')).toBe(
      Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''),
    );
    // 15 ms plus timer slack; the fixed 50 ms batch this replaced made every line wait ~50 ms.
    expect(Math.min(...delays)).toBeLessThan(40);
  });

  it('[D4] under a flood of output the run-output sink runs four times a second, whatever it costs', () => {
    // A fake clock: a loaded machine's timer delays must not decide what the policy does.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const calls: number[] = [];
      const out = batchedWriter(() => {
        calls.push(performance.now());
        vi.advanceTimersByTime(20); // the sink's fixed price: 20 ms
      }, RUN_OUTPUT_BATCH);
      const t0 = performance.now();
      while (performance.now() - t0 < 1300) {
        out.write('x'.repeat(1000));
        vi.advanceTimersByTime(2);
      }
      out.flush();
      const gaps = calls.slice(1).map((t, i) => t - calls[i]);
      // The first flush after the short interval, then one per 250 ms (the old 20% share of a 20 ms
      // sink: one per ~100 ms; the fixed 50 ms interval before it: ~70 ms).
      expect(calls[0] - t0).toBeLessThanOrEqual(15 + 2);
      expect(gaps.length).toBeGreaterThanOrEqual(5);
      for (const g of gaps.slice(0, -1)) {
        expect(g).toBeGreaterThanOrEqual(250);
        expect(g).toBeLessThanOrEqual(250 + 2);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('[D4] a line a second reaches the sink after the short interval even when the sink is slow', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const got: number[] = [];
      const out = batchedWriter(() => {
        got.push(performance.now());
        vi.advanceTimersByTime(20); // a slow disk: 20 ms per fsync
      }, RUN_OUTPUT_BATCH);
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        out.write(`line ${i}\n`);
        while (got.length === i) vi.advanceTimersByTime(1);
        delays.push(got[i] - t0);
        vi.advanceTimersByTime(1000);
      }
      // The 250 ms flood interval is for floods only: each line waits the 15 ms interval.
      expect(delays).toEqual([15, 15, 15, 15]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush writes what is pending at once; nothing pending, no call', () => {
    const got: string[] = [];
    const out = batchedWriter((t) => got.push(t), 50);
    out.flush();
    out.write('a');
    out.write('b');
    out.flush();
    expect(got).toEqual(['ab']);
  });
});
