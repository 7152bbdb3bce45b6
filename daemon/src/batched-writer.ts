// Batches streamed text so a document gets one update per interval rather than one per chunk.

export interface BatchedWriter {
  write(text: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

export interface BatchOptions {
  /** Wait after the first pending write before the sink runs (the latency of light output). */
  intervalMs?: number;
  /**
   * Each sink call may cost a fixed price (a Yjs transaction, an fsync'd local append): while output
   * arrives faster than `floodCharsPerMs`, the sink runs once every `floodIntervalMs` instead, so a
   * flood spends almost nothing there (and nothing at all if it ends sooner: `flush` at the end).
   * Slower output keeps `intervalMs` (a line a second must not wait for the flood interval).
   */
  floodIntervalMs?: number;
  floodCharsPerMs?: number;
}

/**
 * A task's run output: live output reaches the app within ~15 ms of a line; a flood of output (each
 * flush is a Yjs update and an fsync'd local append, [V1]) is flushed four times a second, as a
 * person can follow it (bench: 50 MB task, and 1 line / 10 ms).
 */
export const RUN_OUTPUT_BATCH: BatchOptions = {
  intervalMs: 15,
  floodIntervalMs: 250,
  // 100 KB/s: far above a person reading along, far below a build printing as fast as it can.
  floodCharsPerMs: 100,
};

/** `options` with every default filled in. */
export function batchPace(options: number | BatchOptions): Required<BatchOptions> {
  const {
    intervalMs = 50,
    floodIntervalMs = intervalMs,
    floodCharsPerMs = Infinity,
  } = typeof options === 'number' ? { intervalMs: options } : options;
  return { intervalMs, floodIntervalMs, floodCharsPerMs };
}

/**
 * The one pacing rule of live output (the pipe's batcher, the spool's reader): `bytes` arrived over
 * `overMs`, the sink last ran at `lastSink`. How long to wait before the sink runs (0: now): a flood
 * waits out `floodIntervalMs` since the last run, anything slower does not wait.
 */
export function sinkDelay(
  pace: Required<BatchOptions>,
  bytes: number,
  overMs: number,
  lastSink: number,
  now: number,
): number {
  const flood = bytes / Math.max(1, overMs) >= pace.floodCharsPerMs;
  return flood ? Math.max(0, lastSink + pace.floodIntervalMs - now) : 0;
}

/** Calls `sink` with the text collected over each interval (50 ms by default keeps output live but cheap). */
export function batchedWriter(
  sink: (text: string) => void,
  options: number | BatchOptions = 50,
): BatchedWriter {
  return batcher<string>(
    (texts) => sink(texts.join('')),
    (text) => text.length,
    options,
  );
}

/** Like batchedWriter, over any pieces (raw output buffers, say): `sink` gets each interval's pieces. */
export function batcher<T>(
  sink: (pieces: T[]) => void,
  sizeOf: (piece: T) => number,
  options: number | BatchOptions = 50,
): { write(piece: T): void; flush(): void } {
  const pace = batchPace(options);
  let pending: T[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  let since = 0; // the first pending write
  let lastSink = -Infinity;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!size) return;
    const pieces = pending;
    pending = [];
    size = 0;
    lastSink = performance.now();
    sink(pieces);
  };
  const onTimer = () => {
    const now = performance.now();
    const wait = sinkDelay(pace, size, now - since, lastSink, now);
    if (wait > 0) timer = setTimeout(onTimer, wait);
    else flush();
  };
  return {
    write(piece) {
      const n = sizeOf(piece);
      if (!n) return;
      pending.push(piece);
      size += n;
      if (timer) return;
      since = performance.now();
      timer = setTimeout(onTimer, pace.intervalMs);
    },
    flush,
  };
}

const MAX_LINE = 4_000;

/** Splits a text stream into lines (a long line is cut), holding a partial last line until more comes. */
export function lineSplitter(onLines: (lines: string[]) => void) {
  let partial = '';
  return {
    write(text: string) {
      const parts = (partial + text).split(/\r?\n/);
      partial = parts.pop() ?? '';
      if (partial.length > MAX_LINE) {
        parts.push(partial);
        partial = '';
      }
      if (parts.length)
        onLines(parts.map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) + ' …[line cut]' : l)));
    },
    end() {
      if (partial) onLines([partial]);
      partial = '';
    },
    /** The partial last line held so far ('' if none). */
    peek: () => partial,
  };
}
