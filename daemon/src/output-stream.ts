// How a process's raw output (stdout and stderr, as Buffers) becomes redacted text for the caller:
// decoded and redacted as it arrives, or — when the caller keeps only the newest output (a task's
// run) — batched, with only the kept end of a batch decoded and redacted. The rest of a flood is
// dropped unread but for its last bytes, which the redactor scans as context (Redactor.drop), so a
// secret that starts there and runs into what is kept still becomes its marker.
import type { Redactor } from '@openviber/shared';
import { batcher, type BatchOptions } from './batched-writer.ts';

/** What the runner needs of a redactor. */
export type StreamRedactor = Pick<
  Redactor,
  'push' | 'end' | 'redact' | 'drop' | 'maxSpan' | 'holding' | 'release'
>;

/**
 * How long output may fall silent while the redactor holds back its end (it could start a secret:
 * a hash or a word-like-this line reads as wrapped base64) before that end is emitted anyway. A
 * tool writes an encoding in one go; a line that ends a step must not wait for the next one.
 */
export const REDACT_HOLD_MS = 1_000;

/**
 * `redactor`, whose held-back text is emitted through `emit` once its stream is silent for `holdMs`
 * (Redactor.release). Every output path of a process goes through it, so none can withhold a line.
 */
export function releasingRedactor(
  redactor: StreamRedactor,
  emit: Emit,
  holdMs = REDACT_HOLD_MS,
): StreamRedactor {
  let timer: NodeJS.Timeout | undefined;
  const rearm = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!redactor.holding) return;
    timer = setTimeout(() => {
      timer = undefined;
      emit(redactor.release(), 0);
    }, holdMs);
    timer.unref();
  };
  return {
    get maxSpan() {
      return redactor.maxSpan;
    },
    get holding() {
      return redactor.holding;
    },
    redact: (text) => redactor.redact(text),
    release: () => redactor.release(),
    push(chunk) {
      const out = redactor.push(chunk);
      rearm();
      return out;
    },
    drop(text, end) {
      const lost = redactor.drop(text, end);
      rearm();
      return lost;
    },
    end() {
      clearTimeout(timer);
      timer = undefined;
      return redactor.end();
    },
  };
}

/** Output of which the caller keeps only the newest `keepChars` characters. */
export interface BoundedOutput {
  keepChars: number;
  batch: BatchOptions;
}

/** Redacted text out; `dropped`: characters (bytes, where dropped unread) before it that were dropped. */
export type Emit = (text: string, dropped: number) => void;

export interface OutputStream {
  write(chunk: Buffer): void;
  /** The stream ended: everything still pending or held back is emitted. */
  end(): void;
}

/** Every byte decoded and redacted as it arrives. */
export function streamingOutput(redactor: StreamRedactor, emit: Emit): OutputStream {
  const decoder = new TextDecoder();
  return {
    write: (chunk) => emit(redactor.push(decoder.decode(chunk, { stream: true })), 0),
    end() {
      emit(redactor.push(decoder.decode()), 0);
      emit(redactor.end(), 0);
    },
  };
}

/** Bounded output whose reader decides when to emit (output-spool.ts reads a file at its own pace). */
export interface BoundedStream extends OutputStream {
  /** `n` bytes came before the next write and were never read: counted as dropped. */
  skip(n: number): void;
  /** Emits what is pending now (its kept end). */
  flush(): void;
  /** The most a flush can use: the kept end plus the redactor's context before it. */
  readonly windowBytes: number;
}

/**
 * Raw output of which only the newest `keepChars` survive a flush: a flush past it decodes and redacts
 * its last `keepChars` bytes only. It holds no more than it can keep (plus the redactor's context and
 * one chunk): older chunks are let go as newer ones arrive, so a flood costs neither memory nor garbage
 * collection while it waits.
 */
export function boundedStream(redactor: StreamRedactor, keepChars: number, emit: Emit): BoundedStream {
  let decoder = new TextDecoder();
  // UTF-8 takes at most 4 bytes a character: this much before the kept end covers the context.
  const contextBytes = 4 * redactor.maxSpan;
  const windowBytes = keepChars + contextBytes;
  let chunks: Buffer[] = [];
  let total = 0;
  let unread = 0; // bytes let go or skipped before `chunks`
  const flush = () => {
    const pending = chunks;
    const size = total;
    const before = unread;
    chunks = [];
    total = 0;
    unread = 0;
    if (!size && !before) return;
    if (!before && size <= keepChars) {
      emit(redactor.push(decoder.decode(Buffer.concat(pending, size), { stream: true })), 0);
      return;
    }
    // What was let go left at least windowBytes here (see write); skip() is followed by a window's read.
    const tail = lastBytes(pending, size, windowBytes);
    let kept = Math.max(0, tail.length - keepChars);
    while (kept < tail.length && (tail[kept] & 0xc0) === 0x80) kept++; // start at a character
    // A character cut at the context's start decodes as U+FFFD there: context is never emitted.
    const context = new TextDecoder().decode(tail.subarray(0, kept));
    decoder = new TextDecoder();
    const dropped = redactor.drop(context) + (size - tail.length) + before;
    emit(redactor.push(decoder.decode(tail.subarray(kept), { stream: true })), dropped);
  };
  return {
    windowBytes,
    write(chunk) {
      if (!chunk.length) return;
      chunks.push(chunk);
      total += chunk.length;
      let first = 0;
      while (first < chunks.length - 1 && total - chunks[first].length >= windowBytes) {
        total -= chunks[first].length;
        unread += chunks[first].length;
        first++;
      }
      if (first) chunks = chunks.slice(first);
    },
    skip(n) {
      if (n <= 0) return;
      unread += total + n;
      chunks = [];
      total = 0;
    },
    flush,
    end() {
      flush();
      emit(redactor.push(decoder.decode()), 0);
      emit(redactor.end(), 0);
    },
  };
}

/** A bounded stream fed by a pipe: batched (light output within `intervalMs`, a flood less often). */
export function boundedOutput(redactor: StreamRedactor, options: BoundedOutput, emit: Emit): OutputStream {
  const stream = boundedStream(redactor, options.keepChars, emit);
  const batch = batcher<number>(stream.flush, (n) => n, options.batch);
  return {
    write(chunk) {
      stream.write(chunk);
      batch.write(chunk.length);
    },
    end() {
      batch.flush();
      stream.end();
    },
  };
}

/** The last `n` bytes of `chunks` (whose lengths add up to `total`), copying only those. */
function lastBytes(chunks: Buffer[], total: number, n: number): Buffer {
  if (n >= total) return Buffer.concat(chunks, total);
  let i = chunks.length;
  let size = 0;
  while (size < n) size += chunks[--i].length;
  const joined = Buffer.concat(chunks.slice(i), size);
  return joined.subarray(size - n);
}
