// Writing back a task row lost with the page that created it (the app's outbox keeps the first
// message; see client/src/models/message-outbox.ts): never over a row that is there, never for a
// deleted task or environment, never from a malformed value.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createEnvironment,
  environmentCreateSchema,
  createTask,
  deleteTask,
  getTask,
  listTasks,
  listVibers,
  removeEnvironmentCascade,
  restoreTask,
  tasksMap,
  upsertViber,
  vibersMap,
  titleFromMessage,
  type ViberId,
} from './index.ts';

function workspace() {
  const doc = new Y.Doc();
  const envId = createEnvironment(doc, environmentCreateSchema.parse({ name: 'api', type: 'manual' }));
  return { doc, envId };
}

describe('restoring a task row', () => {
  it('writes the row back under its own id, created when the message was sent, titled from the message', () => {
    const { doc, envId } = workspace();
    const listed = restoreTask(
      doc,
      'tsk_lost',
      { environmentId: envId, viberId: 'vbr_1', title: titleFromMessage('  fix the build\nthen test') },
      1234,
    );
    expect(listed).toBe(true);
    expect(getTask(doc, 'tsk_lost')).toMatchObject({
      id: 'tsk_lost',
      environmentId: envId,
      viberId: 'vbr_1',
      title: 'fix the build',
      createdAt: 1234,
      updatedAt: 1234,
    });
  });

  it('leaves a row that is there as it is (a restart where nothing was lost)', () => {
    const { doc, envId } = workspace();
    const id = createTask(doc, { environmentId: envId, title: 'renamed by the user', viberId: 'vbr_1' }, 10);
    const before = Y.encodeStateVector(doc);
    expect(restoreTask(doc, id, { environmentId: envId, viberId: 'vbr_2', title: 'other' }, 99)).toBe(true);
    expect(Y.encodeStateVector(doc)).toEqual(before);
    expect(getTask(doc, id)).toMatchObject({ title: 'renamed by the user', viberId: 'vbr_1', createdAt: 10 });
  });

  it('does not bring back a task the user deleted, or one whose environment is gone', () => {
    const { doc, envId } = workspace();
    const id = createTask(doc, { environmentId: envId, title: 't', viberId: 'vbr_1' });
    deleteTask(doc, id);
    expect(restoreTask(doc, id, { environmentId: envId, viberId: 'vbr_1', title: 't' }, 1)).toBe(false);
    expect(getTask(doc, id)).toBeNull();

    removeEnvironmentCascade(doc, envId);
    expect(restoreTask(doc, 'tsk_other', { environmentId: envId, viberId: 'vbr_1', title: 't' }, 1)).toBe(
      false,
    );
    expect(restoreTask(doc, 'tsk_other', { environmentId: 'env_never', viberId: '', title: 't' }, 1)).toBe(
      false,
    );
    expect(listTasks(doc)).toEqual([]);
  });

  it('refuses malformed ids (a hand-edited localStorage) without writing', () => {
    const { doc, envId } = workspace();
    const before = Y.encodeStateVector(doc);
    for (const id of ['', '../x', 'tsk 1', 'tsk_1\n', 'tsk_'.padEnd(10_000, 'x')])
      expect(restoreTask(doc, id, { environmentId: envId, viberId: '', title: 't' }, 1)).toBe(false);
    expect(restoreTask(doc, 'tsk_ok', { environmentId: '<script>', viberId: '', title: 't' }, 1)).toBe(false);
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('titles a task from the first line of its message, at most 80 characters, "New task" when blank', () => {
    expect(titleFromMessage('npm test\nmore')).toBe('npm test');
    expect(titleFromMessage('x'.repeat(500))).toHaveLength(80);
    expect(titleFromMessage('   \nsecond line')).toBe('New task');
    expect(titleFromMessage('')).toBe('New task');
  });

  it('[S6] names peers wrote are read safe to show: no bidi overrides or controls, bounded, never empty', () => {
    const { doc, envId } = workspace();
    const id = createTask(doc, { environmentId: envId, title: 'x', viberId: '' });
    const task = tasksMap(doc).get(id) as Y.Map<unknown>;
    task.set('title', 'fix \u202Egnp.exe\u0007 and \uD800 more ' + 'y'.repeat(10_000));
    const title = getTask(doc, id)!.title;
    expect(title).toMatch(/^fix gnp\.exe and \uFFFD more y+$/);
    expect(title).toHaveLength(200);
    task.set('title', '\u202E\u2066  ');
    expect(getTask(doc, id)!.title).toBe('Untitled task');

    upsertViber(doc, {
      id: 'vbr_1' as ViberId,
      name: 'laptop',
      publicKey: 'A'.repeat(43) + '=',
      createdAt: 1,
      lastSeenAt: 0,
    });
    (vibersMap(doc).get('vbr_1') as Y.Map<unknown>).set('name', 'evil\u202E1234 5678');
    expect(listVibers(doc)[0].name).toBe('evil1234 5678');
  });
});
