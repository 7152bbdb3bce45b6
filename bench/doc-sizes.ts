// Document sizes after N runs and N prepares ([V4]): the writes the daemon makes to the Viber
// document per run (the run summary at started, progress and the end) and per prepare (observation
// steps, the prepare log reset and its lines), N times, measured as bytes of Y.encodeStateAsUpdate.
// The reference is the size after a 20-operation warm-up: a flat document stays there.
import * as Y from 'yjs';
import {
  appendPrepareLines,
  compactDeletedKeys,
  createEnvironment,
  environmentCreateSchema,
  removeEnvironmentCascade,
  trimDeletions,
  MAX_DELETIONS,
  resetPrepareLog,
  writeObservation,
  writeTaskRunSummary,
} from '@openviber/shared';
import type { Row } from './report.ts';

const WARM_UP = 20;
const bytes = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc).length;

function run(viberDoc: Y.Doc, i: number) {
  for (const state of ['started', 'progress', 'completed'] as const)
    writeTaskRunSummary(viberDoc, `tsk_${i % 10}`, { messageId: `msg_${i}`, state, updatedAt: Date.now() });
}

function prepare(viberDoc: Y.Doc, logDoc: Y.Doc, generation: number) {
  resetPrepareLog(logDoc, generation);
  writeObservation(viberDoc, 'bnd_1', {
    observedGeneration: generation,
    state: 'preparing',
    step: 'secrets',
  });
  for (const step of ['source', 'setup', 'health'] as const) {
    appendPrepareLines(logDoc, [], step);
    writeObservation(viberDoc, 'bnd_1', { step });
    appendPrepareLines(logDoc, [`${step}: output line of prepare ${generation}`, 'another line']);
  }
  writeObservation(viberDoc, 'bnd_1', { state: 'ready', step: 'ready', lastPrepareAt: Date.now() });
}

const ENVIRONMENT = environmentCreateSchema.parse({
  name: 'web app',
  type: 'github',
  repoUrl: 'https://github.com/example/web-app.git',
  repoBranch: 'main',
  setupMode: 'manual',
  setupScript: 'npm ci',
  vars: { NODE_ENV: 'development' },
});

/**
 * One environment created and deleted as the API does; the server trims the deletions log after
 * collecting and compacts what deletions left before each store ([D9]).
 */
function createAndDelete(workspace: Y.Doc) {
  const id = createEnvironment(workspace, ENVIRONMENT);
  removeEnvironmentCascade(workspace, id);
  trimDeletions(workspace);
  compactDeletedKeys(workspace);
}

/** What a workspace keeps for good: its bytes once its deletions log is emptied and compacted, on a copy. */
function forGoodBytes(workspace: Y.Doc): number {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(workspace));
  trimDeletions(copy, 0);
  compactDeletedKeys(copy);
  return bytes(copy);
}

function grow(doc: Y.Doc, n: number, op: (i: number) => void) {
  for (let i = 0; i < WARM_UP; i++) op(i);
  const warm = bytes(doc);
  for (let i = WARM_UP; i < WARM_UP + n; i++) op(i);
  return { warm, after: bytes(doc) };
}

export function docSizesSection(quick: boolean): { rows: Row[]; method: string } {
  const n = quick ? 200 : 1_000;
  const rows: Row[] = [];
  const row = (figure: string, { warm, after }: { warm: number; after: number }) => {
    const perOp = (after - warm) / n;
    rows.push({
      figure,
      value: `${after} B (${perOp.toFixed(2)} B/op)`,
      reference: `${warm} B after ${WARM_UP}`,
      ratio: after / warm,
      target: '< 1 B/op',
      pass: perOp < 1,
    });
  };
  const viberDoc = new Y.Doc();
  row(
    `Viber document after ${n} runs`,
    grow(viberDoc, n, (i) => run(viberDoc, i)),
  );
  const viberDoc2 = new Y.Doc();
  row(
    `Viber document after ${n} prepares`,
    grow(viberDoc2, n, (i) => prepare(viberDoc2, new Y.Doc(), i + 1)),
  );
  const logDoc = new Y.Doc();
  row(
    `prepare log after ${n} prepares`,
    grow(logDoc, n, (i) => prepare(new Y.Doc(), logDoc, i + 1)),
  );
  // While the deletions log fills to its bound it grows by its entries (the newest MAX_DELETIONS
  // deletions, kept for Vibers and for refusing the deleted documents) and the deleted ranges
  // between them: the figure is what stays for good, the bytes left once the log's entries go.
  const workspace = new Y.Doc();
  for (let i = 0; i < WARM_UP; i++) createAndDelete(workspace);
  const warm = { bytes: bytes(workspace), forGood: forGoodBytes(workspace) };
  for (let i = 0; i < n; i++) createAndDelete(workspace);
  const after = { bytes: bytes(workspace), forGood: forGoodBytes(workspace) };
  const forGood = (after.forGood - warm.forGood) / n;
  rows.push({
    figure: `workspace after ${n} deleted environments`,
    value: `${after.bytes} B with the log; ${after.forGood} B for good (${forGood.toFixed(2)} B/op)`,
    reference: `${warm.forGood} B for good after ${WARM_UP}`,
    ratio: after.forGood / warm.forGood,
    target: `< 1 B/op for good (log ≤ ${MAX_DELETIONS} entries)`,
    pass: forGood < 1,
  });
  // The same once the deletions log is at its bound: what each further deletion costs for good (SPEC [D9]).
  for (let i = 0; i < MAX_DELETIONS; i++) createAndDelete(workspace);
  const full = bytes(workspace);
  for (let i = 0; i < n; i++) createAndDelete(workspace);
  const perDeletion = (bytes(workspace) - full) / n;
  rows.push({
    figure: `  each further deletion, log at its bound`,
    value: `${perDeletion.toFixed(1)} B/op`,
    reference: `${full} B with ${MAX_DELETIONS} logged`,
    ratio: bytes(workspace) / full,
    target: '< 1 B/op',
    pass: perDeletion < 1,
  });
  return {
    rows,
    method: `document sizes: the Viber document's writes per run (run summary at started, progress, end; 10 tasks) and per prepare (observation at each step), the prepare log's (reset, step markers, lines), and the workspace's for an environment created and deleted (removeEnvironmentCascade, then trimDeletions as the server's collector does past MAX_DELETIONS and compactDeletedKeys as it does before each store, [D9]; while the log fills to its bound, the figure is what stays for good: the bytes of a copy whose log was emptied and compacted, the size with the log beside it), each ${n} times through the shared writers the daemon uses; bytes of Y.encodeStateAsUpdate after a ${WARM_UP}-operation warm-up (the reference) and after ${n} more. Target: under 1 byte per operation (flat). Before [V4] these were ~34 B/run, ~48 B/prepare (Viber document) and ~48 B/prepare (prepare log).`,
  };
}
