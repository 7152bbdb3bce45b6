import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { environmentCreateSchema } from './schemas.ts';
import { validate } from './validate.ts';
import { createBinding, deleteBinding } from './workspace-bindings.ts';
import {
  DeletionSet,
  deletionsLogLength,
  deletionsMap,
  legacyDeletionsArray,
  listDeletions,
  observeDeletions,
  trimDeletions,
  type Deletion,
} from './workspace-deletions.ts';
import { createEnvironment } from './workspace-environments.ts';
import { createTask, deleteTask } from './workspace-tasks.ts';
import { removeEnvironmentCascade, removeViberCascade } from './workspace.ts';

const envInput = (name: string) => {
  const r = validate(environmentCreateSchema, { name, type: 'manual' });
  if (!r.ok) throw r.error;
  return r.value;
};

function populated() {
  const doc = new Y.Doc();
  const env = createEnvironment(doc, envInput('api'));
  const binding = createBinding(doc, env, { viberId: 'vbr_1', strategy: 'clone' });
  const task = createTask(doc, { environmentId: env, title: 't', viberId: 'vbr_1' });
  return { doc, env, binding, task };
}

describe('[D7] deletions log', () => {
  it('an environment cascade logs the environment, its bindings and its tasks', () => {
    const { doc, env, binding, task } = populated();
    expect(removeEnvironmentCascade(doc, env)).toBe(true);
    expect(listDeletions(doc)).toHaveLength(3);
    expect(listDeletions(doc)).toEqual(
      expect.arrayContaining([
        { kind: 'environment', id: env },
        { kind: 'binding', id: binding },
        { kind: 'task', id: task },
      ]),
    );
  });

  it('deleting a task, a binding or a Viber logs it; deleting what does not exist logs nothing', () => {
    const { doc, binding, task } = populated();
    expect(deleteTask(doc, task)).toBe(true);
    expect(deleteTask(doc, task)).toBe(false);
    expect(deleteBinding(doc, 'bnd_nope')).toBe(false);
    removeViberCascade(doc, 'vbr_1');
    expect(listDeletions(doc)).toHaveLength(3);
    expect(listDeletions(doc)).toEqual(
      expect.arrayContaining([
        { kind: 'task', id: task },
        { kind: 'viber', id: 'vbr_1' },
        { kind: 'binding', id: binding },
      ]),
    );
  });

  it('knows which documents belong only to a deleted entity', () => {
    const set = new DeletionSet([
      { kind: 'task', id: 'tsk_a' },
      { kind: 'binding', id: 'bnd_a' },
      { kind: 'viber', id: 'vbr_gone' },
    ]);
    const owned = (name: string) => set.ownsDocument(name);
    expect(owned('u/usr_1/task/tsk_a')).toBe(true);
    expect(owned('u/usr_1/viber/vbr_1/run/tsk_a')).toBe(true);
    expect(owned('u/usr_1/viber/vbr_1/prepare/bnd_a')).toBe(true);
    expect(owned('u/usr_1/viber/vbr_gone')).toBe(true);
    expect(owned('u/usr_1/viber/vbr_gone/run/tsk_live')).toBe(true);
    expect(owned('u/usr_1/viber/vbr_gone/prepare/bnd_live')).toBe(true);
    expect(owned('u/usr_1/workspace')).toBe(false);
    expect(owned('u/usr_1/task/tsk_live')).toBe(false);
    expect(owned('u/usr_1/viber/vbr_1')).toBe(false);
    expect(owned('u/usr_1/viber/vbr_1/run/tsk_live')).toBe(false);
    expect(owned('not a document')).toBe(false);
  });

  it('[S6] skips entries of the wrong shape that a peer wrote, in the log and in the pre-[D9] list', () => {
    const doc = new Y.Doc();
    legacyDeletionsArray(doc).push([42, 'x:tsk_a', 't:', { t: 1 }, 't:tsk_old']);
    for (const key of ['x:tsk_b', 't:', 't:../../etc', 'e:env_ok']) deletionsMap(doc).set(key, 5);
    deletionsMap(doc).set('b:bnd_ok', 'not a time'); // counts as oldest of the map's entries
    expect(listDeletions(doc)).toEqual([
      { kind: 'task', id: 'tsk_old' },
      { kind: 'binding', id: 'bnd_ok' },
      { kind: 'environment', id: 'env_ok' },
    ]);
  });

  it('an entry is written once: deleting again leaves its key and time as they were ([D9])', () => {
    const doc = new Y.Doc();
    const id = createTask(doc, { environmentId: 'env_1', title: 't', viberId: '' });
    deleteTask(doc, id);
    const at = deletionsMap(doc).get(`t:${id}`);
    const size = Y.encodeStateAsUpdate(doc).length;
    doc.transact(() => deletionsMap(doc).delete('nothing')); // no-op
    // A second device deleting the same task logs nothing new (the task is gone there too), and
    // recording it directly keeps the existing entry.
    expect(deleteTask(doc, id)).toBe(false);
    expect(deletionsMap(doc).get(`t:${id}`)).toBe(at);
    expect(Y.encodeStateAsUpdate(doc).length).toBe(size);
  });

  it('reads, reports and trims the pre-[D9] list that older code appended, oldest first', () => {
    const doc = new Y.Doc();
    legacyDeletionsArray(doc).push(['t:tsk_1', 't:tsk_2']);
    const seen: Deletion[] = [];
    observeDeletions(doc, (added) => seen.push(...added));
    legacyDeletionsArray(doc).push(['t:tsk_3']); // an old tab still appends there
    deleteTask(doc, createTask(doc, { environmentId: 'env_1', title: 't', viberId: '' }));
    expect(seen.map((d) => d.id)).toEqual(['tsk_3', expect.stringMatching(/^tsk_/)]);
    expect(deletionsLogLength(doc)).toBe(4);
    expect(
      listDeletions(doc)
        .slice(0, 3)
        .map((d) => d.id),
    ).toEqual(['tsk_1', 'tsk_2', 'tsk_3']);
    expect(trimDeletions(doc, 2)).toBe(2);
    expect(listDeletions(doc).map((d) => d.id)).toEqual(['tsk_3', seen[1]!.id]);
  });

  it('reports deletions made by another device once they merge in', () => {
    const a = populated();
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a.doc));
    const seen: Deletion[] = [];
    observeDeletions(a.doc, (added) => seen.push(...added));
    deleteTask(b, a.task);
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a.doc)));
    expect(seen).toEqual([{ kind: 'task', id: a.task }]);
  });

  it('trims the oldest entries beyond the limit, by time then key', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < 12; i++) {
      const id = createTask(doc, { environmentId: 'env_1', title: 't', viberId: '' });
      doc.transact(() => {
        deleteTask(doc, id);
        deletionsMap(doc).set(`t:${id}`, 1_000 + (i % 6)); // pairs of entries share a time
      });
    }
    const ids = listDeletions(doc).map((d) => d.id);
    const times = ids.map((id) => deletionsMap(doc).get(`t:${id}`) as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(trimDeletions(doc, 5)).toBe(7);
    expect(listDeletions(doc).map((d) => d.id)).toEqual(ids.slice(7));
    expect(trimDeletions(doc, 5)).toBe(0);
  });

  it('trims only what the caller may drop: an entry made offline long ago arrives oldest and stays until collected', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < 6; i++)
      deleteTask(doc, createTask(doc, { environmentId: 'env_1', title: 't', viberId: '' }));
    const collected = new DeletionSet(listDeletions(doc));
    deletionsMap(doc).set('t:tsk_madeofflineyesterday00', Date.now() - 86_400_000);
    expect(trimDeletions(doc, 3, (d) => collected.has(d.kind, d.id))).toBe(4);
    expect(listDeletions(doc)[0]).toEqual({ kind: 'task', id: 'tsk_madeofflineyesterday00' });
    expect(deletionsLogLength(doc)).toBe(3);
  });
});
