import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { environmentCreateSchema } from './schemas.ts';
import { validate } from './validate.ts';
import { createBinding, deleteBinding } from './workspace-bindings.ts';
import {
  DeletionSet,
  deletionsArray,
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
    expect(listDeletions(doc)).toEqual([
      { kind: 'environment', id: env },
      { kind: 'binding', id: binding },
      { kind: 'task', id: task },
    ]);
  });

  it('deleting a task, a binding or a Viber logs it; deleting what does not exist logs nothing', () => {
    const { doc, binding, task } = populated();
    expect(deleteTask(doc, task)).toBe(true);
    expect(deleteTask(doc, task)).toBe(false);
    expect(deleteBinding(doc, 'bnd_nope')).toBe(false);
    removeViberCascade(doc, 'vbr_1');
    expect(listDeletions(doc)).toEqual([
      { kind: 'task', id: task },
      { kind: 'viber', id: 'vbr_1' },
      { kind: 'binding', id: binding },
    ]);
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

  it('[S6] skips entries of the wrong shape that a peer wrote', () => {
    const doc = new Y.Doc();
    deletionsArray(doc).push([42, 'x:tsk_a', 't:', 't:../../etc', { t: 1 }, 't:tsk_ok']);
    expect(listDeletions(doc)).toEqual([{ kind: 'task', id: 'tsk_ok' }]);
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

  it('trims the oldest entries beyond the limit', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < 12; i++)
      deleteTask(doc, createTask(doc, { environmentId: 'env_1', title: 't', viberId: '' }));
    const ids = listDeletions(doc).map((d) => d.id);
    expect(trimDeletions(doc, 5)).toBe(7);
    expect(listDeletions(doc).map((d) => d.id)).toEqual(ids.slice(7));
    expect(trimDeletions(doc, 5)).toBe(0);
  });

  it('1,000 created and deleted environments: bytes left in the workspace, with the log trimmed', () => {
    const doc = new Y.Doc();
    const before = Y.encodeStateAsUpdate(doc).length;
    for (let i = 0; i < 1000; i++) {
      const env = createEnvironment(doc, envInput(`env ${i}`));
      createBinding(doc, env, { viberId: 'vbr_1', strategy: 'clone' });
      removeEnvironmentCascade(doc, env);
    }
    const withLog = Y.encodeStateAsUpdate(doc).length - before;
    trimDeletions(doc, 0);
    const trimmed = Y.encodeStateAsUpdate(doc).length - before;
    console.log(
      `1,000 environments (+1 binding each) created and deleted: ${withLog} B with the log, ${trimmed} B after trimming it`,
    );
    // What stays per deleted entity is its map key's item (the id and ~20 bytes), see the README.
    expect(trimmed / 1000).toBeLessThan(120);
    expect(withLog - trimmed).toBeGreaterThan(0);
  });
});
