// The live prepare log of one binding: redacted lines, batched into the log document (bounded by shared).
import type * as Y from 'yjs';
import {
  appendPrepareLines,
  replaceLastPrepareLine,
  type PrepareStep,
  type Redactor,
} from '@openviber/shared';
import { batchedWriter, lineSplitter } from './batched-writer.ts';

/**
 * How long a script may be silent mid-line (`printf 'Installing…'`, a progress bar, a prompt) before
 * that unfinished line is shown; the rest of it, when it comes, completes the same line in place.
 */
export const PARTIAL_LINE_MS = 500;

export interface PrepareLogWriter {
  /** Process output (already redacted by the runner). */
  output(text: string): void;
  /** A line of the daemon's own (redacted here). */
  note(text: string): void;
  step(step: PrepareStep): void;
  flush(): void;
}

export function prepareLogWriter(
  doc: Y.Doc,
  redactor: () => Redactor,
  partialLineMs = PARTIAL_LINE_MS,
): PrepareLogWriter {
  let pending: string[] = [];
  let pendingStep: PrepareStep | undefined;
  /** The splitter's partial line as the document's last line shows it (null: none shown). */
  let shown: string | null = null;
  /** What replaces that shown line at the next write (it grew, or was completed). */
  let replacement: string | undefined;
  let silence: NodeJS.Timeout | undefined;
  const batch = batchedWriter(() => {
    const lines = pending;
    const step = pendingStep;
    const replace = replacement;
    pending = [];
    pendingStep = undefined;
    replacement = undefined;
    doc.transact(() => {
      if (replace !== undefined) replaceLastPrepareLine(doc, replace);
      appendPrepareLines(doc, lines, step);
    });
  });
  const splitter = lineSplitter((lines) => {
    // The first line completes the one already shown: it replaces it rather than following it.
    if (shown !== null) {
      const completed = lines.shift();
      if (completed !== shown) replacement = completed;
      shown = null;
    }
    pending.push(...lines);
    batch.write('.');
  });
  /** The output paused mid-line: show that line as it is now (written at once, so it is the last). */
  const showPartial = () => {
    silence = undefined;
    const partial = splitter.peek();
    if (!partial || partial === shown) return;
    if (shown !== null) replacement = partial;
    else pending.push(partial);
    shown = partial;
    batch.write('.');
    batch.flush();
  };
  const endLine = () => {
    clearTimeout(silence);
    silence = undefined;
    splitter.end();
  };
  return {
    output(text) {
      splitter.write(text);
      clearTimeout(silence);
      silence = splitter.peek() ? setTimeout(showPartial, partialLineMs) : undefined;
      silence?.unref();
    },
    note(text) {
      endLine();
      pending.push(redactor().redact(text));
      batch.write('.');
    },
    step(step) {
      endLine();
      pendingStep = step;
      batch.write('.');
    },
    flush() {
      endLine();
      batch.flush();
    },
  };
}
