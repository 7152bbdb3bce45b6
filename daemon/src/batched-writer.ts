// Batches streamed text so a document gets one update per interval rather than one per chunk.

export interface BatchedWriter {
  write(text: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

/** Calls `sink` with the text collected over each `intervalMs` (50 ms keeps output live but cheap). */
export function batchedWriter(sink: (text: string) => void, intervalMs = 50): BatchedWriter {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const text = pending;
    pending = '';
    sink(text);
  };
  return {
    write(text) {
      if (!text) return;
      pending += text;
      timer ??= setTimeout(flush, intervalMs);
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
  };
}
