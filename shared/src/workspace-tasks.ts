// Task metadata in the workspace; the conversation itself lives in the task's own document.
import * as Y from 'yjs';
import { TaskStatus } from './enums.ts';
import { isId, newId, type EnvironmentId, type TaskId, type ViberId } from './ids.ts';
import { DeletedKind, isRecordedDeleted, recordDeletion } from './workspace-deletions.ts';
import { environmentsMap } from './workspace-environments.ts';
import { readableName } from './schemas.ts';
import { entityMaps, numberOr, setFields, type YEntity } from './y-fields.ts';

export interface Task {
  id: TaskId;
  environmentId: EnvironmentId;
  /** The Viber that runs the task's messages; '' when the environment had no binding. */
  viberId: ViberId | '';
  title: string;
  status: TaskStatus;
  createdAt: number;
  /** Last activity: creation, a new message, a rename or a status change. */
  updatedAt: number;
}

export const tasksMap = (doc: Y.Doc) => doc.getMap<unknown>('tasks');

const STATUSES = new Set<string>(Object.values(TaskStatus));

export function readTask(id: string, map: YEntity): Task | null {
  const environmentId = map.get('environmentId');
  if (!isId(environmentId) || !isId(id)) return null;
  const viberId = map.get('viberId');
  const status = map.get('status');
  return {
    id: id as TaskId,
    environmentId: environmentId as EnvironmentId,
    viberId: isId(viberId) ? (viberId as ViberId) : '',
    title: readableName(map.get('title'), 'Untitled task', 200),
    status: typeof status === 'string' && STATUSES.has(status) ? (status as TaskStatus) : TaskStatus.active,
    createdAt: numberOr(map.get('createdAt'), 0),
    updatedAt: numberOr(map.get('updatedAt'), numberOr(map.get('createdAt'), 0)),
  };
}

export function listTasks(doc: Y.Doc, filter: { environmentId?: string; viberId?: string } = {}): Task[] {
  return entityMaps(tasksMap(doc))
    .map(([id, map]) => readTask(id, map))
    .filter((t): t is Task => t !== null)
    .filter(
      (t) =>
        (!filter.environmentId || t.environmentId === filter.environmentId) &&
        (!filter.viberId || t.viberId === filter.viberId),
    )
    .sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
}

export function getTask(doc: Y.Doc, id: string): Task | null {
  const map = tasksMap(doc).get(id);
  return map instanceof Y.Map ? readTask(id, map as YEntity) : null;
}

export function createTask(
  doc: Y.Doc,
  input: { environmentId: string; title: string; viberId: string },
  now = Date.now(),
): TaskId {
  const id = newId<TaskId>('tsk');
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    tasksMap(doc).set(id, map);
    // Not stored: the id (the map key), the default status and updatedAt until it differs from createdAt.
    setFields(map, { ...input, createdAt: now });
  });
  return id;
}

/** A task's title from its first message: the first line, at most 80 characters; "New task" when blank. */
export function titleFromMessage(text: string): string {
  return text.split('\n')[0].trim().slice(0, 80) || 'New task';
}

/**
 * Writes back the row of a task that has a message kept to be written but no row: the page that
 * created the task went away before its local copy stored the row, while the message was kept by
 * the app's outbox. Same id, so the message's document is the task's again. Nothing is written when
 * the row is there, when the task or its environment was deleted (the message goes with them), or
 * for a malformed id. Returns whether the task is listed afterwards.
 */
export function restoreTask(
  doc: Y.Doc,
  id: string,
  input: { environmentId: string; title: string; viberId: string },
  createdAt: number,
): boolean {
  if (tasksMap(doc).has(id)) return true;
  if (!isId(id) || !isId(input.environmentId)) return false;
  if (isRecordedDeleted(doc, DeletedKind.task, id)) return false;
  if (!(environmentsMap(doc).get(input.environmentId) instanceof Y.Map)) return false;
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    tasksMap(doc).set(id, map);
    setFields(map, { ...input, createdAt });
  });
  return true;
}

export function patchTask(
  doc: Y.Doc,
  id: string,
  patch: { title?: string; status?: TaskStatus },
  now = Date.now(),
): boolean {
  const map = tasksMap(doc).get(id);
  if (!(map instanceof Y.Map)) return false;
  doc.transact(() => setFields(map as YEntity, { ...patch, updatedAt: now }));
  return true;
}

/** Deletes a task's entry; its document and run outputs are then removed from the store ([D7]). */
export function deleteTask(doc: Y.Doc, id: string): boolean {
  if (!tasksMap(doc).has(id)) return false;
  doc.transact(() => {
    tasksMap(doc).delete(id);
    recordDeletion(doc, DeletedKind.task, id);
  });
  return true;
}

/** Records activity (a new message) so the task sorts to the top. */
export function touchTask(doc: Y.Doc, id: string, now = Date.now()): void {
  const map = tasksMap(doc).get(id);
  if (map instanceof Y.Map) map.set('updatedAt', now);
}
