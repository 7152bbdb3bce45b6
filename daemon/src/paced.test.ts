// The daemon reconciles through `paced`: a new binding starts preparing at once after a quiet spell,
// and a burst of workspace updates (a sync after reconnecting) costs one reconcile per gap, not one
// per update; the gap follows what a reconcile costs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { paced } from './paced.ts';

describe('paced runs', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first request after a quiet spell at once, never inside the caller', () => {
    const run = vi.fn();
    const p = paced(run, () => 10);
    p.request();
    expect(run).not.toHaveBeenCalled(); // not synchronously
    vi.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500); // quiet
    p.request();
    vi.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('joins a burst of 1,000 requests into one run per gap', () => {
    const run = vi.fn();
    const p = paced(run, () => 10);
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < 20; i++) p.request();
      vi.advanceTimersByTime(1);
    }
    // 50 ms of requests: the first at once, then one at most every 10 ms.
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(5);
    expect(run.mock.calls.length).toBeLessThanOrEqual(6);
    vi.advanceTimersByTime(100);
    expect(run.mock.calls.length).toBeLessThanOrEqual(6); // nothing pending is lost or repeated
  });

  it('a request during a run is served after it, and stop drops what is pending', () => {
    let runs = 0;
    const p = paced(
      () => {
        runs++;
        if (runs === 1) p.request(); // the run itself changes the document
      },
      () => 10,
    );
    p.request();
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(10);
    expect(runs).toBe(2);
    p.request();
    p.stop();
    vi.advanceTimersByTime(100);
    p.request();
    vi.advanceTimersByTime(100);
    expect(runs).toBe(2);
  });

  it('spaces a burst by what each run cost: a cheap run lets the next change through at once', () => {
    // The clock is the test's: each run "takes" what the test says.
    let clock = 0;
    let cost = 0;
    const starts: number[] = [];
    const p = paced(
      () => {
        starts.push(clock);
        clock += cost;
      },
      (took) => took * 5,
      () => clock,
    );
    // Cheap runs (a small workspace): a change 3 ms after the last run is acted on at once, not
    // after a fixed gap — the binding that follows an environment's creation.
    p.request();
    vi.advanceTimersByTime(0);
    clock += 3;
    p.request();
    vi.advanceTimersByTime(0);
    expect(starts).toEqual([0, 3]);
    // A costly run (10,000 tasks): 8 ms each, so the next waits until 40 ms after its start, and
    // a burst of requests in between joins that one run.
    cost = 8;
    clock = 100;
    p.request();
    vi.advanceTimersByTime(0);
    expect(starts).toEqual([0, 3, 100]);
    for (let t = 0; t < 30; t++) {
      clock += 1;
      p.request();
    }
    // 30 ms of the fake clock passed outside the timers: the run is due 40 ms after 100, at 140.
    vi.advanceTimersByTime(1);
    expect(starts).toHaveLength(3);
    clock = 140;
    vi.advanceTimersByTime(40);
    expect(starts).toHaveLength(4);
  });
});
