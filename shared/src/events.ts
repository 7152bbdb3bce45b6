// Control-plane event names (design §4): names for state transitions, used in logs and the API.

export const ControlEvent = {
  environmentPrepare: 'environment:prepare',
  environmentSync: 'environment:sync',
  taskSubmit: 'task:submit',
  environmentStatus: 'environment:status',
  environmentLog: 'environment:log',
  taskStarted: 'task:started',
  taskProgress: 'task:progress',
  taskCompleted: 'task:completed',
  taskError: 'task:error',
} as const;
export type ControlEventName = (typeof ControlEvent)[keyof typeof ControlEvent];

interface Base<T extends ControlEventName> {
  type: T;
  at: number;
}
export type EnvironmentPrepareEvent = Base<'environment:prepare'> & { bindingId: string; generation: number };
export type EnvironmentSyncEvent = Base<'environment:sync'> & { bindingId: string; generation: number };
export type TaskSubmitEvent = Base<'task:submit'> & { taskId: string; messageId: string };
export type EnvironmentStatusEvent = Base<'environment:status'> & {
  bindingId: string;
  state: string;
  step: string;
};
export type EnvironmentLogEvent = Base<'environment:log'> & { bindingId: string; lines: string[] };
export type TaskStartedEvent = Base<'task:started'> & { taskId: string; messageId: string };
export type TaskProgressEvent = Base<'task:progress'> & { taskId: string; messageId: string; chars: number };
export type TaskCompletedEvent = Base<'task:completed'> & {
  taskId: string;
  messageId: string;
  exitCode: number;
};
export type TaskErrorEvent = Base<'task:error'> & { taskId: string; messageId: string; error: string };

export type ControlEventOf =
  | EnvironmentPrepareEvent
  | EnvironmentSyncEvent
  | TaskSubmitEvent
  | EnvironmentStatusEvent
  | EnvironmentLogEvent
  | TaskStartedEvent
  | TaskProgressEvent
  | TaskCompletedEvent
  | TaskErrorEvent;

const NAMES = new Set<string>(Object.values(ControlEvent));
const is =
  <T extends ControlEventOf>(type: T['type']) =>
  (e: unknown): e is T =>
    typeof e === 'object' && e !== null && (e as { type?: unknown }).type === type;

export const isControlEvent = (e: unknown): e is ControlEventOf =>
  typeof e === 'object' && e !== null && NAMES.has((e as { type?: unknown }).type as string);
export const isEnvironmentPrepare = is<EnvironmentPrepareEvent>('environment:prepare');
export const isEnvironmentSync = is<EnvironmentSyncEvent>('environment:sync');
export const isTaskSubmit = is<TaskSubmitEvent>('task:submit');
export const isEnvironmentStatus = is<EnvironmentStatusEvent>('environment:status');
export const isEnvironmentLog = is<EnvironmentLogEvent>('environment:log');
export const isTaskStarted = is<TaskStartedEvent>('task:started');
export const isTaskProgress = is<TaskProgressEvent>('task:progress');
export const isTaskCompleted = is<TaskCompletedEvent>('task:completed');
export const isTaskError = is<TaskErrorEvent>('task:error');
