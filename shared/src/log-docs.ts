// The Viber's sub-documents: a binding's prepare log and a task's run records with output, both bounded.
import * as Y from 'yjs';
import { FINAL_RUN_STATES, RunState, isPrepareStep, type PrepareStep } from './enums.ts';
import {
  MAX_PREPARE_LOG_LINES,
  MAX_RUN_OUTPUT_CHARS,
  MAX_RUNS_WITH_OUTPUT,
  OLD_RUN_OUTPUT_CHARS,
} from './limits.ts';
import { childMap, entityMaps, numberOr, setFields, stringOr, type YEntity } from './y-fields.ts';

// ---- prepare log: u/<uid>/viber/<vid>/prepare/<bindingId> ([D3], [V4])
//
// The log is ONE Y.Array of strings that is only ever appended to (a header, the lines, and marker
// entries for the step and the dropped count) or deleted from. Appends only, so the array's order
// is the writer's clock order and every deleted range merges with the one before into a single
// tombstone: the document is the same size after any number of prepares. (A separate `meta` map,
// overwritten between line appends, grew ~50 bytes per prepare.) Documents written before this,
// with `meta`, are still read.

export const prepareLinesArray = (doc: Y.Doc) => doc.getArray<string>('lines');
/** Before [V4]: generation, step and dropped count (read, and emptied at the next reset). */
export const prepareMetaMap = (doc: Y.Doc) => doc.getMap<unknown>('meta');

export interface PrepareLog {
  generation: number;
  /** The step running or last run; '' before the first (or one this code does not know). */
  step: PrepareStep | '';
  /** Lines dropped from the front to keep the log bounded. */
  dropped: number;
  lines: string[];
}

/** Entries starting with NUL are markers; a log line never does (a leading NUL is stripped). */
const MARK = '\u0000';
const GEN = `${MARK}gen:`;
const STEP = `${MARK}step:`;
const DROPPED = `${MARK}dropped:`;
const unmarked = (line: string) => {
  let out = line;
  while (out.startsWith(MARK)) out = out.slice(1);
  return out;
};
const isMarker = (entry: unknown) => typeof entry === 'string' && entry.startsWith(MARK);

/** Starts the log of a new prepare: earlier lines go, so the log shows the latest prepare only. */
export function resetPrepareLog(doc: Y.Doc, generation: number): void {
  doc.transact(() => {
    const entries = prepareLinesArray(doc);
    if (entries.length) entries.delete(0, entries.length);
    entries.push([`${GEN}${generation}`]);
    if (prepareMetaMap(doc).size) prepareMetaMap(doc).clear();
  });
}

/** 1 when the log starts with its generation header (a log since [V4]), else 0. */
const headerLength = (entries: unknown[]) =>
  isMarker(entries[0]) && String(entries[0]).startsWith(GEN) ? 1 : 0;

/** Appends lines, dropping the oldest past MAX_PREPARE_LOG_LINES. */
export function appendPrepareLines(doc: Y.Doc, newLines: string[], step?: PrepareStep): void {
  if (!newLines.length && step === undefined) return;
  doc.transact(() => {
    const entries = prepareLinesArray(doc);
    const added = newLines.map(unmarked);
    if (step !== undefined) added.push(`${STEP}${step}`);
    entries.push(added);
    const all = entries.toArray();
    let excess = all.filter((e) => !isMarker(e)).length - MAX_PREPARE_LOG_LINES;
    if (excess <= 0) return;
    const before = readPrepareLogAsStored(doc);
    // Delete from just after the header up to and including the `excess`-th line.
    const first = headerLength(all);
    let end = first;
    const dropped = excess;
    while (excess > 0 && end < all.length) if (!isMarker(all[end++])) excess--;
    entries.delete(first, end - first);
    entries.push([
      `${DROPPED}${before.dropped + dropped}`,
      ...(before.step ? [`${STEP}${before.step}`] : []),
    ]);
  });
}

/**
 * Replaces the log's last line with `text`: a line the writer showed before it was complete (the
 * script paused mid-line) and now completes or extends. The old line is deleted and the new one
 * appended (only markers can follow the last line, and they are not lines): appends only, so the
 * next prepare's reset still folds the whole log into one deleted range.
 */
export function replaceLastPrepareLine(doc: Y.Doc, text: string): void {
  doc.transact(() => {
    const entries = prepareLinesArray(doc);
    const all = entries.toArray();
    let last = all.length - 1;
    while (last >= 0 && (typeof all[last] !== 'string' || isMarker(all[last]))) last--;
    if (last >= headerLength(all)) entries.delete(last, 1);
    appendPrepareLines(doc, [text]);
  });
}

const stepOf = (value: unknown): PrepareStep | '' => (isPrepareStep(value) ? value : '');

export function readPrepareLog(doc: Y.Doc): PrepareLog {
  return boundedLog(readPrepareLogAsStored(doc));
}

/** The log as the document holds it (the writer's view: it trims what is stored). */
function readPrepareLogAsStored(doc: Y.Doc): PrepareLog {
  const entries = prepareLinesArray(doc).toArray();
  const head = entries[0];
  if (typeof head === 'string' && head.startsWith(GEN)) {
    const log: PrepareLog = {
      generation: Number(head.slice(GEN.length)) || 0,
      step: '',
      dropped: 0,
      lines: [],
    };
    for (const entry of entries.slice(1)) {
      if (typeof entry !== 'string') continue;
      if (entry.startsWith(STEP)) log.step = stepOf(entry.slice(STEP.length));
      else if (entry.startsWith(DROPPED)) log.dropped = Number(entry.slice(DROPPED.length)) || 0;
      else if (!entry.startsWith(MARK)) log.lines.push(entry);
    }
    return log;
  }
  const meta = prepareMetaMap(doc);
  return {
    generation: numberOr(meta.get('generation'), 0),
    step: stepOf(meta.get('step')),
    dropped: numberOr(meta.get('dropped'), 0),
    lines: entries.filter((l) => typeof l === 'string'),
  };
}

/**
 * What a reader shows is bounded by the writer's own limits whatever the document holds: a Viber
 * that wrote past them (a bug, or a hostile one) must not freeze the app that renders it.
 */
function boundedLog(log: PrepareLog): PrepareLog {
  const excess = log.lines.length - MAX_PREPARE_LOG_LINES;
  if (excess > 0) {
    log.lines = log.lines.slice(excess);
    log.dropped += excess;
  }
  return log;
}

/** The last `max` characters of a run's output chunks, and how many were left out before them. */
function outputTail(chunks: unknown[], max: number): { text: string; left: number } {
  const kept: string[] = [];
  let length = 0;
  let left = 0;
  for (let i = chunks.length - 1; i >= 0; i--) {
    const chunk = chunks[i];
    if (typeof chunk !== 'string') continue;
    if (length >= max) {
      left += chunk.length;
      continue;
    }
    const take = chunk.length <= max - length ? chunk : chunk.slice(chunk.length - (max - length));
    left += chunk.length - take.length;
    kept.push(take);
    length += take.length;
  }
  return { text: kept.reverse().join(''), left };
}

// ---- run output: u/<uid>/viber/<vid>/run/<taskId>

export const runsMap = (doc: Y.Doc) => doc.getMap<unknown>('runs');

export interface RunRecord {
  messageId: string;
  state: RunState;
  exitCode: number | null;
  startedAt: number;
  endedAt: number;
  error: string;
  /** Characters of output dropped from the front to keep the run bounded. */
  droppedChars: number;
  output: string;
}

const RUN_STATES = new Set<string>(Object.values(RunState));

export function readRun(messageId: string, map: YEntity): RunRecord | null {
  const state = map.get('state');
  if (typeof state !== 'string' || !RUN_STATES.has(state)) return null;
  const output = map.get('output');
  const exitCode = map.get('exitCode');
  const tail =
    output instanceof Y.Array ? outputTail(output.toArray(), MAX_RUN_OUTPUT_CHARS) : { text: '', left: 0 };
  return {
    messageId,
    state: state as RunState,
    exitCode: typeof exitCode === 'number' ? exitCode : null,
    startedAt: numberOr(map.get('startedAt'), 0),
    endedAt: numberOr(map.get('endedAt'), 0),
    error: stringOr(map.get('error'), ''),
    droppedChars: numberOr(map.get('droppedChars'), 0) + tail.left,
    output: tail.text,
  };
}

export function listRuns(doc: Y.Doc): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>();
  for (const [id, map] of entityMaps(runsMap(doc))) {
    const run = readRun(id, map);
    if (run) out.set(id, run);
  }
  return out;
}

export function getRun(doc: Y.Doc, messageId: string): RunRecord | null {
  const map = runsMap(doc).get(messageId);
  return map instanceof Y.Map ? readRun(messageId, map as YEntity) : null;
}

/** Each output array's length in characters, as its one writer last left it. */
const outputLengths = new WeakMap<Y.Array<string>, number>();

/**
 * Sets a run's fields (state, exitCode, timestamps, error), creating the record if needed. A new
 * record clips the output of runs older than the newest MAX_RUNS_WITH_OUTPUT (keepRecentRunOutputs).
 */
export function writeRun(
  doc: Y.Doc,
  messageId: string,
  fields: Partial<Omit<RunRecord, 'messageId' | 'output' | 'droppedChars'>>,
): void {
  doc.transact(() => {
    const isNew = !runsMap(doc).has(messageId);
    const map = childMap(runsMap(doc), messageId);
    if (!(map.get('output') instanceof Y.Array)) map.set('output', new Y.Array<string>());
    setFields(map, fields);
    if (isNew) keepRecentRunOutputs(doc);
  });
}

/**
 * Finished runs older than the newest `keep` (by start) keep the last `tailChars` of their output,
 * as one chunk; what goes is added to their `droppedChars`. Each is clipped once: after that it is
 * within the bound. The chunks are deleted and the tail appended, so the array stays append-only.
 */
export function keepRecentRunOutputs(
  doc: Y.Doc,
  keep = MAX_RUNS_WITH_OUTPUT,
  tailChars = OLD_RUN_OUTPUT_CHARS,
): void {
  const runs = entityMaps(runsMap(doc));
  if (runs.length <= keep) return;
  const byStart = runs
    .map(([, map]) => ({ map, startedAt: numberOr(map.get('startedAt'), 0) }))
    .sort((a, b) => b.startedAt - a.startedAt);
  doc.transact(() => {
    for (const { map } of byStart.slice(keep)) {
      const state = map.get('state');
      const output = map.get('output');
      if (typeof state !== 'string' || !FINAL_RUN_STATES.has(state as RunState)) continue;
      if (!(output instanceof Y.Array)) continue;
      const chunks = output as Y.Array<string>;
      const all = chunks.toArray();
      const total = all.reduce((n, c) => n + (typeof c === 'string' ? c.length : 0), 0);
      if (total <= tailChars) continue;
      const tail = outputTail(all, tailChars).text;
      chunks.delete(0, chunks.length);
      chunks.push([tail]);
      outputLengths.set(chunks, tail.length);
      map.set('droppedChars', numberOr(map.get('droppedChars'), 0) + total - tail.length);
    }
  });
}

/**
 * Appends output (already redacted), dropping the oldest chunks past MAX_RUN_OUTPUT_CHARS.
 * `skippedChars`: output before `text` that the writer never sent because it would be dropped anyway.
 */
export function appendRunOutput(
  doc: Y.Doc,
  messageId: string,
  text: string,
  maxChars = MAX_RUN_OUTPUT_CHARS,
  skippedChars = 0,
): void {
  if (!text && !skippedChars) return;
  doc.transact(() => {
    const map = childMap(runsMap(doc), messageId);
    let output = map.get('output');
    if (!(output instanceof Y.Array)) {
      output = new Y.Array<string>();
      map.set('output', output);
    }
    const chunks = output as Y.Array<string>;
    const clipped = text.length > maxChars ? text.slice(text.length - maxChars) : text;
    let dropped = text.length - clipped.length + skippedChars;
    // The writer (one Viber) keeps the running length, so an append costs O(1), not a pass over the output.
    let total =
      outputLengths.get(chunks) ??
      chunks.toArray().reduce((n, c) => n + (typeof c === 'string' ? c.length : 0), 0);
    if (clipped) chunks.push([clipped]);
    total += clipped.length;
    if (total > maxChars) {
      const all = chunks.toArray();
      let drop = 0;
      while (total > maxChars && drop < all.length - 1) {
        total -= all[drop].length;
        dropped += all[drop].length;
        drop++;
      }
      if (drop) chunks.delete(0, drop);
    }
    outputLengths.set(chunks, total);
    if (dropped) map.set('droppedChars', numberOr(map.get('droppedChars'), 0) + dropped);
  });
}
