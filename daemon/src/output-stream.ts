// How a process's raw output (stdout and stderr, as Buffers) becomes redacted text for the caller:
// decoded and redacted as it arrives, or — when the caller keeps only the newest output (a task's
// run) — batched, with only the kept end of a batch decoded and redacted. The rest of a flood is
// dropped unread but for its last bytes, which the redactor scans as context (Redactor.drop), so a
// secret that starts there and runs into what is kept still becomes its marker.
import type { Redactor } from '@openviber/shared';
import { batcher, type BatchOptions } from './batched-writer.ts';

/** What the runner needs of a redactor. */
export type StreamRedactor = Pick<Redactor, 'push' | 'end' | 'redact' | 'drop' | 'maxSpan'>;

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

/** Batches raw output; a batch past `keepChars` keeps (decodes, redacts) its last `keepChars` bytes only. */
export function boundedOutput(redactor: StreamRedactor, options: BoundedOutput, emit: Emit): OutputStream {
  let decoder = new TextDecoder();
  const { keepChars } = options;
  const batch = batcher<Buffer>(
    (chunks) => {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      if (total <= keepChars) {
        emit(redactor.push(decoder.decode(Buffer.concat(chunks, total), { stream: true })), 0);
        return;
      }
      // UTF-8 takes at most 4 bytes a character: this much before the kept end covers the context.
      const contextBytes = 4 * redactor.maxSpan;
      const tail = lastBytes(chunks, total, keepChars + contextBytes);
      let kept = tail.length - keepChars;
      while (kept < tail.length && (tail[kept] & 0xc0) === 0x80) kept++; // start at a character
      // A character cut at the context's start decodes as U+FFFD there: context is never emitted.
      const context = new TextDecoder().decode(tail.subarray(0, kept));
      decoder = new TextDecoder();
      const dropped = redactor.drop(context) + (total - tail.length);
      emit(redactor.push(decoder.decode(tail.subarray(kept), { stream: true })), dropped);
    },
    (chunk) => chunk.length,
    options.batch,
  );
  return {
    write: batch.write,
    end() {
      batch.flush();
      emit(redactor.push(decoder.decode()), 0);
      emit(redactor.end(), 0);
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
