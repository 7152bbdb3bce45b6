// [V4] The Viber's documents do not grow with the number of runs or prepares: the same writes the
// daemon makes per run and per prepare, 200 times, leave the encoded state (almost) where it was.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendPrepareLines, readPrepareLog, resetPrepareLog } from './log-docs.ts';
import { MAX_TASK_RUN_SUMMARIES } from './limits.ts';
import {
  listTaskRunSummaryIds,
  readObservation,
  readTaskRunSummary,
  writeObservation,
  writeTaskRunSummary,
} from './viber-doc.ts';

const size = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc).length;

/** What prepare.ts writes for one prepare of `bindingId`: observation steps and its log. */
export function simulatePrepare(viberDoc: Y.Doc, logDoc: Y.Doc, bindingId: string, generation: number) {
  resetPrepareLog(logDoc, generation);
  writeObservation(viberDoc, bindingId, {
    observedGeneration: generation,
    state: 'preparing',
    step: 'secrets',
  });
  for (const step of ['source', 'setup', 'health'] as const) {
    appendPrepareLines(logDoc, [], step);
    writeObservation(viberDoc, bindingId, { step });
    appendPrepareLines(logDoc, [`${step} output of prepare ${generation}`, 'another line']);
  }
  writeObservation(viberDoc, bindingId, { state: 'ready', step: 'ready', lastPrepareAt: generation });
}

/** What task-runner.ts and task-worker.ts write to the Viber document for one run. */
export function simulateRun(viberDoc: Y.Doc, taskId: string, messageId: string) {
  for (const state of ['started', 'progress', 'completed'] as const)
    writeTaskRunSummary(viberDoc, taskId, { messageId, state, updatedAt: Date.now() });
}

/** Bytes per operation after a warm-up, over `n` more operations. */
function growth(doc: Y.Doc, n: number, op: (i: number) => void): number {
  for (let i = 0; i < 20; i++) op(i);
  const before = size(doc);
  for (let i = 20; i < 20 + n; i++) op(i);
  return (size(doc) - before) / n;
}

describe('[V4] bounded Viber documents', () => {
  it('200 runs over 10 tasks leave the Viber document flat', () => {
    const doc = new Y.Doc();
    writeObservation(doc, 'b1', { observedGeneration: 1, state: 'ready' });
    expect(growth(doc, 200, (i) => simulateRun(doc, `t${i % 10}`, `m${i}`))).toBeLessThan(1);
    expect(readTaskRunSummary(doc, 't5')).toMatchObject({ state: 'completed', messageId: 'm215' });
  });

  it('200 prepares leave the Viber document and the prepare log flat', () => {
    const viberDoc = new Y.Doc();
    const logDoc = new Y.Doc();
    expect(growth(viberDoc, 200, (i) => simulatePrepare(viberDoc, new Y.Doc(), 'b1', i + 1))).toBeLessThan(1);
    expect(growth(logDoc, 200, (i) => simulatePrepare(new Y.Doc(), logDoc, 'b1', i + 1))).toBeLessThan(1);
    expect(readPrepareLog(logDoc)).toMatchObject({ generation: 220, step: 'health', dropped: 0 });
    expect(readPrepareLog(logDoc).lines).toEqual([
      'source output of prepare 220',
      'another line',
      'setup output of prepare 220',
      'another line',
      'health output of prepare 220',
      'another line',
    ]);
    expect(readObservation(viberDoc, 'b1')).toMatchObject({ state: 'ready', observedGeneration: 220 });
  });

  it('runs of many tasks keep only the latest summaries', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < MAX_TASK_RUN_SUMMARIES + 50; i++) simulateRun(doc, `t${i}`, `m${i}`);
    expect(listTaskRunSummaryIds(doc)).toHaveLength(MAX_TASK_RUN_SUMMARIES);
    const full = size(doc);
    for (let i = 0; i < 500; i++) simulateRun(doc, `u${i}`, `m${i}`);
    expect(size(doc)).toBeLessThan(full * 1.2);
  });

  it('a document written before [V4] (one Y.Map per entity) is read, and moved over on the next write', () => {
    const doc = new Y.Doc();
    const legacy = new Y.Map<unknown>();
    doc.getMap('observed').set('b1', legacy);
    legacy.set('state', 'ready');
    legacy.set('observedGeneration', 3);
    expect(readObservation(doc, 'b1')).toMatchObject({ state: 'ready', observedGeneration: 3 });
    writeObservation(doc, 'b2', { state: 'error', observedGeneration: 1 });
    expect(doc.getMap('observed').size).toBe(0);
    expect(readObservation(doc, 'b1')).toMatchObject({ state: 'ready', observedGeneration: 3 });
    expect(readObservation(doc, 'b2')).toMatchObject({ state: 'error' });
  });
});
