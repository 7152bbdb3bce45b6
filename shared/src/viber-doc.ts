// A Viber's own document: its health, what it observed of each binding, re-sealed secrets, run summaries.
import * as Y from 'yjs';
import { FINAL_RUN_STATES, ObservedState, RunState, isPrepareStep, type PrepareStep } from './enums.ts';
import { isId } from './ids.ts';
import { sealedBoxSchema } from './schemas.ts';
import { MAX_REFUSALS, MAX_TASK_RUN_SUMMARIES } from './limits.ts';
import { childMap, entityMaps, numberOr, setFields, stringOr, type YEntity } from './y-fields.ts';

export interface ViberHealth {
  version: string;
  hostname: string;
  platform: string;
  startedAt: number;
  workspaceRoot: string;
  capabilities: {
    git: boolean;
    networkIsolation: boolean;
    container: string;
    /** What runs on the Viber cannot read its key pair, token or local state (issue 9 item 5). */
    hidesKeys: boolean;
  };
  /** 'pinned': acts only on content signed with the pinned key ([T3]); 'server' (also when absent): trusts the server. */
  trust?: TrustMode;
  /** The pinned signing key's fingerprint ('' when trusting the server). */
  trustedKeyFingerprint?: string;
  /**
   * The newest document schema this Viber met that is newer than it understands ([S12]); 0 (or
   * absent) when none. Above 0 the app says "this Viber runs an older version: update it".
   */
  needsUpdate?: number;
}

/** Whom a Viber trusts for what it runs (design §5b). */
export const TrustMode = { server: 'server', pinned: 'pinned' } as const;
export type TrustMode = (typeof TrustMode)[keyof typeof TrustMode];

/** What a Viber observed of one binding (design §4). */
export interface Observation {
  observedGeneration: number;
  state: ObservedState;
  /** The prepare step running or failed ('' when none, or a step this code does not know). */
  step: PrepareStep | '';
  resolvedWorkingDir: string;
  lastPrepareAt: number;
  lastError: string;
  specHash: string;
}

/** The state of the latest run of a task on this Viber, for task lists. */
export interface TaskRunSummary {
  messageId: string;
  state: RunState;
  updatedAt: number;
}

export const healthMap = (doc: Y.Doc) => doc.getMap<unknown>('health');
/** Before [V4]: observations as one Y.Map per binding (read, and emptied on the next write). */
export const observedMap = (doc: Y.Doc) => doc.getMap<unknown>('observed');
/** `${environmentId}/${secretKey}/${targetViberId}` → sealed box for the target Viber. */
export const resealsMap = (doc: Y.Doc) => doc.getMap<unknown>('reseals');
/** Before [V4]: run summaries as one Y.Map per task (read, and emptied on the next write). */
export const taskRunsMap = (doc: Y.Doc) => doc.getMap<unknown>('taskRuns');

export function readHealth(doc: Y.Doc): ViberHealth | null {
  const h = healthMap(doc);
  if (!h.has('version')) return null;
  const caps = h.get('capabilities');
  const capMap = caps instanceof Y.Map ? (caps as YEntity) : undefined;
  return {
    version: stringOr(h.get('version'), ''),
    hostname: stringOr(h.get('hostname'), ''),
    platform: stringOr(h.get('platform'), ''),
    startedAt: numberOr(h.get('startedAt'), 0),
    workspaceRoot: stringOr(h.get('workspaceRoot'), ''),
    capabilities: {
      git: capMap?.get('git') === true,
      networkIsolation: capMap?.get('networkIsolation') === true,
      container: stringOr(capMap?.get('container'), ''),
      hidesKeys: capMap?.get('hidesKeys') === true,
    },
    trust: h.get('trust') === TrustMode.pinned ? TrustMode.pinned : TrustMode.server,
    trustedKeyFingerprint: stringOr(h.get('trustedKeyFingerprint'), ''),
    needsUpdate: numberOr(h.get('needsUpdate'), 0),
  };
}

/** Publishes the newest document schema the Viber met and does not understand (0: none) ([S12]). */
export function writeNeedsUpdate(doc: Y.Doc, schemaVersion: number): void {
  if (healthMap(doc).get('needsUpdate') !== schemaVersion) healthMap(doc).set('needsUpdate', schemaVersion);
}

export function writeHealth(doc: Y.Doc, health: ViberHealth): void {
  doc.transact(() => {
    const { capabilities, ...rest } = health;
    setFields(healthMap(doc), rest);
    setFields(childMap(healthMap(doc), 'capabilities'), capabilities);
  });
}

// ---- observations and run summaries ([D2], [V4])
//
// The Viber document has one writer, the Viber, so nothing needs field-level merging. Observations
// and run summaries live together in ONE JSON value, `state.current`: Yjs merges a run of
// consecutive overwrites of one key into a single tombstone, so the document stays the same size
// however many prepares and runs it records (one Y.Map key per field grows ~30 bytes per run, kept
// as history forever). Documents written before this are read too, and moved over on the next write.

const OBSERVED_STATES = new Set<string>(Object.values(ObservedState));
const RUN_STATES = new Set<string>(Object.values(RunState));
const stepOf = (value: unknown): PrepareStep | '' => (isPrepareStep(value) ? value : '');

/** Where the single JSON value lives. */
export const viberStateMap = (doc: Y.Doc) => doc.getMap<unknown>('state');
const CURRENT = 'current';

interface StoredState {
  observed: Record<string, Record<string, unknown>>;
  taskRuns: Record<string, Record<string, unknown>>;
  /** Keys a newer Viber wrote that this code does not know: written back untouched ([S12]). */
  unknown: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const parsedCache = new WeakMap<Y.Doc, { json: string; state: StoredState }>();

/** The stored state as plain records (shapes checked by the readers below); never throws ([S6]). */
function storedState(doc: Y.Doc): StoredState {
  const json = viberStateMap(doc).get(CURRENT);
  if (typeof json !== 'string') return { observed: {}, taskRuns: {}, unknown: {} };
  const cached = parsedCache.get(doc);
  if (cached?.json === json) return cached.state;
  let state: StoredState = { observed: {}, taskRuns: {}, unknown: {} };
  try {
    const raw: unknown = JSON.parse(json);
    if (isRecord(raw)) {
      const { observed, taskRuns, ...unknown } = raw;
      state = {
        observed: isRecord(observed) ? (observed as StoredState['observed']) : {},
        taskRuns: isRecord(taskRuns) ? (taskRuns as StoredState['taskRuns']) : {},
        unknown,
      };
    }
  } catch {
    // a peer's garbage reads as empty
  }
  parsedCache.set(doc, { json, state });
  return state;
}

/** A record of a document written before [V4] (one nested Y.Map per entity). */
function legacyRecord(map: Y.Map<unknown>, id: string): Record<string, unknown> | undefined {
  const entity = map.get(id);
  return entity instanceof Y.Map ? (entity.toJSON() as Record<string, unknown>) : undefined;
}

/** An observation from its stored fields; undefined when they do not make one. */
export function observationOf(raw: Record<string, unknown> | undefined): Observation | undefined {
  const state = raw?.state;
  if (!raw || typeof state !== 'string' || !OBSERVED_STATES.has(state)) return undefined;
  return {
    observedGeneration: numberOr(raw.observedGeneration, 0),
    state: state as ObservedState,
    step: stepOf(raw.step),
    resolvedWorkingDir: stringOr(raw.resolvedWorkingDir, ''),
    lastPrepareAt: numberOr(raw.lastPrepareAt, 0),
    lastError: stringOr(raw.lastError, ''),
    specHash: stringOr(raw.specHash, ''),
  };
}

function summaryOf(raw: Record<string, unknown> | undefined): TaskRunSummary | undefined {
  const state = raw?.state;
  if (!raw || typeof state !== 'string' || !RUN_STATES.has(state)) return undefined;
  return {
    messageId: stringOr(raw.messageId, ''),
    state: state as RunState,
    updatedAt: numberOr(raw.updatedAt, 0),
  };
}

/** Rewrites the single value (moving a pre-[V4] document's entries over) and keeps the latest summaries. */
function updateState(doc: Y.Doc, change: (state: StoredState) => void): void {
  const current = storedState(doc);
  const state: StoredState = {
    observed: { ...current.observed },
    taskRuns: { ...current.taskRuns },
    unknown: current.unknown,
  };
  const legacy = [observedMap(doc), taskRunsMap(doc)] as const;
  for (const [id, map] of entityMaps(legacy[0]))
    state.observed[id] ??= map.toJSON() as Record<string, unknown>;
  for (const [id, map] of entityMaps(legacy[1]))
    state.taskRuns[id] ??= map.toJSON() as Record<string, unknown>;
  change(state);
  const runs = Object.entries(state.taskRuns);
  if (runs.length > MAX_TASK_RUN_SUMMARIES) {
    runs.sort(([, a], [, b]) => numberOr(b.updatedAt, 0) - numberOr(a.updatedAt, 0));
    state.taskRuns = Object.fromEntries(runs.slice(0, MAX_TASK_RUN_SUMMARIES));
  }
  const json = JSON.stringify({ ...state.unknown, observed: state.observed, taskRuns: state.taskRuns });
  if (json === viberStateMap(doc).get(CURRENT) && !legacy.some((m) => m.size)) return;
  doc.transact(() => {
    for (const map of legacy) if (map.size) map.clear();
    viberStateMap(doc).set(CURRENT, json);
  });
}

export function readObservation(doc: Y.Doc, bindingId: string): Observation | undefined {
  return observationOf(storedState(doc).observed[bindingId] ?? legacyRecord(observedMap(doc), bindingId));
}

export function listObservations(doc: Y.Doc): Map<string, Observation> {
  const out = new Map<string, Observation>();
  const ids = new Set([...Object.keys(storedState(doc).observed), ...observedMap(doc).keys()]);
  for (const id of ids) {
    const o = readObservation(doc, id);
    if (o) out.set(id, o);
  }
  return out;
}

export function writeObservation(doc: Y.Doc, bindingId: string, observation: Partial<Observation>): void {
  const fields = Object.fromEntries(Object.entries(observation).filter(([, v]) => v !== undefined));
  updateState(doc, (s) => (s.observed[bindingId] = { ...s.observed[bindingId], ...fields }));
}

/** Removes the observations of bindings this Viber no longer holds ([V5]). */
export function removeObservations(doc: Y.Doc, bindingIds: string[]): void {
  if (bindingIds.length) updateState(doc, (s) => bindingIds.forEach((id) => delete s.observed[id]));
}

export const resealKey = (environmentId: string, secretKey: string, targetViberId: string) =>
  `${environmentId}/${secretKey}/${targetViberId}`;

export interface Reseal {
  environmentId: string;
  secretKey: string;
  targetViberId: string;
  sealed: string;
}

export function listReseals(doc: Y.Doc): Reseal[] {
  const out: Reseal[] = [];
  resealsMap(doc).forEach((value, key) => {
    const [environmentId, secretKey, targetViberId, extra] = key.split('/');
    if (extra !== undefined || !isId(environmentId) || !isId(targetViberId) || !secretKey) return;
    if (!sealedBoxSchema.safeParse(value).success) return;
    out.push({ environmentId, secretKey, targetViberId, sealed: value as string });
  });
  return out;
}

export function readTaskRunSummary(doc: Y.Doc, taskId: string): TaskRunSummary | undefined {
  return summaryOf(storedState(doc).taskRuns[taskId] ?? legacyRecord(taskRunsMap(doc), taskId));
}

/** The tasks with a run summary (at most MAX_TASK_RUN_SUMMARIES, the latest). */
export function listTaskRunSummaryIds(doc: Y.Doc): string[] {
  return [...new Set([...Object.keys(storedState(doc).taskRuns), ...taskRunsMap(doc).keys()])];
}

/** Records the latest run state of a task; only the latest MAX_TASK_RUN_SUMMARIES tasks keep one. */
export function writeTaskRunSummary(doc: Y.Doc, taskId: string, summary: TaskRunSummary): void {
  // Merged, not replaced: fields a newer Viber added to the summary survive ([S12]).
  updateState(doc, (s) => (s.taskRuns[taskId] = { ...s.taskRuns[taskId], ...summary }));
}

/** Removes the run summaries of tasks this Viber no longer holds ([V5]). */
export function removeTaskRunSummaries(doc: Y.Doc, taskIds: string[]): void {
  if (taskIds.length) updateState(doc, (s) => taskIds.forEach((id) => delete s.taskRuns[id]));
}

export const isFinalRunState = (state: RunState) => FINAL_RUN_STATES.has(state);

// ---- refusals ([T5]): what a pinned Viber would not act on, and why, for the app to show

/** Why a pinned Viber did not act on something. */
export const RefusalReason = {
  /** No signature (e.g. written through the REST API): waits until a device signs it. */
  unsigned: 'unsigned',
  /** A signature that is not the pinned key's over exactly this content. */
  badSignature: 'bad signature',
  /** A signed execution spec older than one this Viber already accepted. */
  rolledBack: 'rolled back',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** What a refusal is about; the refusal's key is `<kind>:<id>` (refusalKey). */
export const RefusedKind = {
  environment: 'environment',
  binding: 'binding',
  message: 'message',
  cancel: 'cancel',
  push: 'push',
  secret: 'secret',
} as const;
export type RefusedKind = (typeof RefusedKind)[keyof typeof RefusedKind];

export interface Refusal {
  kind: RefusedKind;
  /** environment id, binding id, `<taskId>/<messageId>`, `<taskId>/<pushRequestId>` or `<envId>/<secretKey>`. */
  id: string;
  reason: RefusalReason;
  /** One human line: what exactly was refused. */
  detail: string;
  at: number;
  /**
   * `rolled back` only: the highest spec version this Viber accepted for the environment, so a
   * device that approves the content re-signs it above that version (else it is refused again).
   */
  acceptedVersion?: number;
}

export const refusalsMap = (doc: Y.Doc) => doc.getMap<unknown>('refusals');
export const refusalKey = (kind: RefusedKind, id: string) => `${kind}:${id}`;

const REFUSAL_REASONS = new Set<string>(Object.values(RefusalReason));
const REFUSED_KINDS = new Set<string>(Object.values(RefusedKind));

/** The refusals this Viber published, newest first; malformed entries are skipped ([S6]). */
export function listRefusals(doc: Y.Doc): Refusal[] {
  const out: Refusal[] = [];
  refusalsMap(doc).forEach((value, key) => {
    if (!isRecord(value)) return;
    const sep = key.indexOf(':');
    const kind = key.slice(0, sep);
    const reason = value.reason;
    if (sep < 0 || !REFUSED_KINDS.has(kind) || typeof reason !== 'string' || !REFUSAL_REASONS.has(reason))
      return;
    const accepted = value.acceptedVersion;
    out.push({
      kind: kind as RefusedKind,
      id: key.slice(sep + 1),
      reason: reason as RefusalReason,
      detail: stringOr(value.detail, ''),
      at: numberOr(value.at, 0),
      ...(Number.isSafeInteger(accepted) && (accepted as number) >= 0
        ? { acceptedVersion: accepted as number }
        : {}),
    });
  });
  return out.sort((a, b) => b.at - a.at);
}

/**
 * Publishes a refusal (written only when its reason or detail changed, so a retry loop adds no
 * tombstones); keeps at most MAX_REFUSALS, dropping the oldest.
 */
export function writeRefusal(doc: Y.Doc, refusal: Refusal): void {
  const map = refusalsMap(doc);
  const key = refusalKey(refusal.kind, refusal.id);
  const current = map.get(key);
  if (
    isRecord(current) &&
    current.reason === refusal.reason &&
    current.detail === refusal.detail &&
    current.acceptedVersion === refusal.acceptedVersion
  )
    return;
  doc.transact(() => {
    const { reason, detail, at, acceptedVersion } = refusal;
    map.set(key, { reason, detail, at, ...(acceptedVersion === undefined ? {} : { acceptedVersion }) });
    if (map.size > MAX_REFUSALS) {
      const oldest = [...map.entries()]
        .sort(([, a], [, b]) => numberOr(isRecord(a) ? a.at : 0, 0) - numberOr(isRecord(b) ? b.at : 0, 0))
        .slice(0, map.size - MAX_REFUSALS);
      for (const [k] of oldest) map.delete(k);
    }
  });
}

/** Clears a refusal once the entity verifies (or is gone). */
export function clearRefusal(doc: Y.Doc, kind: RefusedKind, id: string): void {
  const key = refusalKey(kind, id);
  if (refusalsMap(doc).has(key)) refusalsMap(doc).delete(key);
}
