// Enumerations of the model, each a const object plus its union type.

export const EnvironmentType = { github: 'github', local: 'local', manual: 'manual' } as const;
export type EnvironmentType = (typeof EnvironmentType)[keyof typeof EnvironmentType];

export const SetupMode = { auto: 'auto', manual: 'manual' } as const;
export type SetupMode = (typeof SetupMode)[keyof typeof SetupMode];

export const SecretScope = { setup: 'setup', runtime: 'runtime' } as const;
export type SecretScope = (typeof SecretScope)[keyof typeof SecretScope];

export const BindingStrategy = { clone: 'clone', existing: 'existing' } as const;
export type BindingStrategy = (typeof BindingStrategy)[keyof typeof BindingStrategy];

/** What a Viber observed of one binding. */
export const ObservedState = { preparing: 'preparing', ready: 'ready', error: 'error' } as const;
export type ObservedState = (typeof ObservedState)[keyof typeof ObservedState];

/** The steps of a prepare, in order; the observation names the one running or failed ([D2]). */
export const PrepareStep = {
  /** The environment's prepare fields as a peer stored them (PREPARE_FIELDS). */
  validate: 'validate',
  secrets: 'secrets',
  /** Clone or fetch the repo, or check the existing path. */
  source: 'source',
  vars: 'vars',
  setup: 'setup',
  maintenance: 'maintenance',
  health: 'health',
  ready: 'ready',
} as const;
export type PrepareStep = (typeof PrepareStep)[keyof typeof PrepareStep];
const PREPARE_STEPS = new Set<unknown>(Object.values(PrepareStep));
/** True for a step name this code knows (a newer Viber's step reads as none, [S6]). */
export const isPrepareStep = (value: unknown): value is PrepareStep => PREPARE_STEPS.has(value);

/** A binding's status as shown to the user (design §4). */
export const BindingStatus = {
  pending: 'pending',
  stale: 'stale',
  preparing: 'preparing',
  ready: 'ready',
  error: 'error',
} as const;
export type BindingStatus = (typeof BindingStatus)[keyof typeof BindingStatus];

/** The environment's pill, derived from its bindings. */
export const EnvironmentPill = {
  unmapped: 'Unmapped',
  preparing: 'Preparing',
  /** Every binding settled, at least one prepared from an older spec: it needs a re-prepare. */
  stale: 'Stale',
  ready: 'Ready',
  error: 'Error',
} as const;
export type EnvironmentPill = (typeof EnvironmentPill)[keyof typeof EnvironmentPill];

export const TaskStatus = { active: 'active', paused: 'paused', archived: 'archived' } as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** A message's run record, written by the Viber that executes it. */
export const RunState = {
  started: 'started',
  progress: 'progress',
  completed: 'completed',
  error: 'error',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** Run states after which nothing more happens to the run. */
export const FINAL_RUN_STATES: ReadonlySet<RunState> = new Set([
  RunState.completed,
  RunState.error,
  RunState.cancelled,
  RunState.interrupted,
]);

export function enumValues<T extends Record<string, string>>(e: T): [T[keyof T], ...T[keyof T][]] {
  return Object.values(e) as [T[keyof T], ...T[keyof T][]];
}
