// The live prepare log of one binding: redacted lines, batched into the log document (bounded by shared).
import type * as Y from 'yjs';
import { appendPrepareLines, type PrepareStep, type Redactor } from '@openviber/shared';
import { batchedWriter, lineSplitter } from './batched-writer.ts';

export interface PrepareLogWriter {
  /** Process output (already redacted by the runner). */
  output(text: string): void;
  /** A line of the daemon's own (redacted here). */
  note(text: string): void;
  step(step: PrepareStep): void;
  flush(): void;
}

export function prepareLogWriter(doc: Y.Doc, redactor: () => Redactor): PrepareLogWriter {
  let pending: string[] = [];
  let pendingStep: PrepareStep | undefined;
  const batch = batchedWriter(() => {
    const lines = pending;
    const step = pendingStep;
    pending = [];
    pendingStep = undefined;
    appendPrepareLines(doc, lines, step);
  });
  const splitter = lineSplitter((lines) => {
    pending.push(...lines);
    batch.write('.');
  });
  return {
    output: (text) => splitter.write(text),
    note(text) {
      splitter.end();
      pending.push(redactor().redact(text));
      batch.write('.');
    },
    step(step) {
      splitter.end();
      pendingStep = step;
      batch.write('.');
    },
    flush() {
      splitter.end();
      batch.flush();
    },
  };
}
