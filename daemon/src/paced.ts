// Runs a function on demand at most once per `gapMs`: the first request after a quiet spell at once
// (on the next turn of the event loop, never inside the caller — a Y.Doc's update event, say), the
// requests of a burst together once the gap since the last run has passed.
export interface Paced {
  /** Asks for a run; requests made while one is pending join it. */
  request(): void;
  /** Drops a pending run; later requests are ignored. */
  stop(): void;
}

export function paced(run: () => void, gapMs: number): Paced {
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;
  let ranAt = -Infinity;
  const fire = () => {
    pending = undefined;
    if (stopped) return;
    ranAt = performance.now();
    run();
  };
  return {
    request() {
      if (stopped || pending) return;
      pending = setTimeout(fire, Math.max(0, ranAt + gapMs - performance.now()));
    },
    stop() {
      stopped = true;
      clearTimeout(pending);
      pending = undefined;
    },
  };
}
