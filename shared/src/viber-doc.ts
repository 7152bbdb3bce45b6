// A Viber's own document: its health, what it observed of each binding, re-sealed secrets, run summaries.
import * as Y from 'yjs';
import { FINAL_RUN_STATES, ObservedState, RunState } from './enums.ts';
import { isId } from './ids.ts';
import { sealedBoxSchema } from './schemas.ts';
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
}

/** What a Viber observed of one binding (design §4). */
export interface Observation {
  observedGeneration: number;
  state: ObservedState;
  /** The prepare step running or failed: clone, vars, setup, maintenance, health. */
  step: string;
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
export const observedMap = (doc: Y.Doc) => doc.getMap<unknown>('observed');
/** `${environmentId}/${secretKey}/${targetViberId}` → sealed box for the target Viber. */
export const resealsMap = (doc: Y.Doc) => doc.getMap<unknown>('reseals');
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
  };
}

export function writeHealth(doc: Y.Doc, health: ViberHealth): void {
  doc.transact(() => {
    const { capabilities, ...rest } = health;
    setFields(healthMap(doc), rest);
    setFields(childMap(healthMap(doc), 'capabilities'), capabilities);
  });
}

const OBSERVED_STATES = new Set<string>(Object.values(ObservedState));

export function readObservation(doc: Y.Doc, bindingId: string): Observation | undefined {
  const map = observedMap(doc).get(bindingId);
  if (!(map instanceof Y.Map)) return undefined;
  const state = map.get('state');
  if (typeof state !== 'string' || !OBSERVED_STATES.has(state)) return undefined;
  return {
    observedGeneration: numberOr(map.get('observedGeneration'), 0),
    state: state as ObservedState,
    step: stringOr(map.get('step'), ''),
    resolvedWorkingDir: stringOr(map.get('resolvedWorkingDir'), ''),
    lastPrepareAt: numberOr(map.get('lastPrepareAt'), 0),
    lastError: stringOr(map.get('lastError'), ''),
    specHash: stringOr(map.get('specHash'), ''),
  };
}

export function listObservations(doc: Y.Doc): Map<string, Observation> {
  const out = new Map<string, Observation>();
  for (const [id] of entityMaps(observedMap(doc))) {
    const o = readObservation(doc, id);
    if (o) out.set(id, o);
  }
  return out;
}

export function writeObservation(doc: Y.Doc, bindingId: string, observation: Partial<Observation>): void {
  doc.transact(() => setFields(childMap(observedMap(doc), bindingId), observation));
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
  const map = taskRunsMap(doc).get(taskId);
  if (!(map instanceof Y.Map)) return undefined;
  const state = map.get('state');
  if (typeof state !== 'string' || !Object.values(RunState).includes(state as RunState)) return undefined;
  return {
    messageId: stringOr(map.get('messageId'), ''),
    state: state as RunState,
    updatedAt: numberOr(map.get('updatedAt'), 0),
  };
}

export function writeTaskRunSummary(doc: Y.Doc, taskId: string, summary: TaskRunSummary): void {
  doc.transact(() => setFields(childMap(taskRunsMap(doc), taskId), summary));
}

export const isFinalRunState = (state: RunState) => FINAL_RUN_STATES.has(state);
