// Runs a function on demand, on the next turn of the event loop (never inside the caller — a Y.Doc's
// update event, say): the requests of one turn share a run, and a burst's runs are spaced by the work
// they do. After a run that took `d` ms the next waits until `gap(d)` ms after it started, so a cheap
// run (a small workspace's reconcile, 0.3-1.3 ms measured) lets the next change through within a few
// ms, and a costly one (listing 10,000 tasks alone is ~7 ms; starting a prepare adds 2-5) takes a
// bounded share of the process while a sync brings a thousand updates.
export interface Paced {
  /** Asks for a run; requests made while one is pending join it. */
  request(): void;
  /** Drops a pending run; later requests are ignored. */
  stop(): void;
}

/** `gap(took)`: how long after a run's start the next may start, from how long the run took. */
export function paced(
  run: () => void,
  gap: (tookMs: number) => number,
  clock: () => number = () => performance.now(),
): Paced {
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;
  let nextAt = -Infinity;
  const fire = () => {
    pending = undefined;
    if (stopped) return;
    const started = clock();
    try {
      run();
    } finally {
      nextAt = started + gap(clock() - started);
    }
  };
  return {
    request() {
      if (stopped || pending) return;
      pending = setTimeout(fire, Math.max(0, nextAt - clock()));
    },
    stop() {
      stopped = true;
      clearTimeout(pending);
      pending = undefined;
    },
  };
}
