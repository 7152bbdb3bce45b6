// Control-plane event names (design §4): the names of the state transitions, used where a process
// reports one (the daemon's log lines), so a log reads the same words as the design and the API.
// They are names, not messages: the transitions themselves are state in the documents.

export const ControlEvent = {
  /** A binding's generation was raised (Prepare in the app, POST /api/bindings/:id/prepare). */
  environmentPrepare: 'environment:prepare',
  environmentSync: 'environment:sync',
  /** A new message in a task. */
  taskSubmit: 'task:submit',
  /** A Viber recorded a binding's observed state. */
  environmentStatus: 'environment:status',
  environmentLog: 'environment:log',
  taskStarted: 'task:started',
  taskProgress: 'task:progress',
  taskCompleted: 'task:completed',
  taskError: 'task:error',
} as const;
export type ControlEventName = (typeof ControlEvent)[keyof typeof ControlEvent];

/**
 * One log line for a transition: the event name, then `key=value` pairs in the given order
 * (values with spaces quoted as JSON), e.g. `environment:status binding=bnd_1 state=ready`.
 */
export function controlLogLine(
  event: ControlEventName,
  fields: Record<string, string | number | boolean | null | undefined>,
): string {
  const parts: string[] = [event];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    parts.push(`${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`);
  }
  return parts.join(' ');
}
