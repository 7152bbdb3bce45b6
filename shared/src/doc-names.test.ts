import { describe, expect, it } from 'vitest';
import {
  changesDocName,
  parseDocName,
  prepareLogDocName,
  runOutputDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
} from './doc-names.ts';

describe('document names', () => {
  it('parse back to what built them, the same the second time (names parsed lately are kept)', () => {
    const names = [
      [workspaceDocName('usr_a'), { kind: 'workspace', userId: 'usr_a' }],
      [taskDocName('usr_a', 'tsk_1'), { kind: 'task', userId: 'usr_a', taskId: 'tsk_1' }],
      [viberDocName('usr_a', 'vbr_1'), { kind: 'viber', userId: 'usr_a', viberId: 'vbr_1' }],
      [
        prepareLogDocName('usr_a', 'vbr_1', 'bnd_1'),
        { kind: 'prepare-log', userId: 'usr_a', viberId: 'vbr_1', bindingId: 'bnd_1' },
      ],
      [
        runOutputDocName('usr_a', 'vbr_1', 'tsk_1'),
        { kind: 'run-output', userId: 'usr_a', viberId: 'vbr_1', taskId: 'tsk_1' },
      ],
      [
        changesDocName('usr_a', 'vbr_1', 'tsk_1'),
        { kind: 'changes', userId: 'usr_a', viberId: 'vbr_1', taskId: 'tsk_1' },
      ],
    ] as const;
    for (const [name, ref] of names) {
      expect(parseDocName(name)).toEqual(ref);
      expect(parseDocName(name)).toEqual(ref);
    }
  });

  it('refuse anything else, every time', () => {
    for (const name of [
      'u/usr_a',
      'u/usr_a/task',
      'u/usr_a/task/../x',
      'x/usr_a/workspace',
      'u//workspace',
    ]) {
      expect(parseDocName(name)).toBeNull();
      expect(parseDocName(name)).toBeNull();
    }
  });

  it('hand out a kept result that nobody can change for the next caller', () => {
    const ref = parseDocName(taskDocName('usr_b', 'tsk_2'))!;
    expect(() => Object.assign(ref, { userId: 'usr_mallory' })).toThrow(TypeError);
    expect(parseDocName(taskDocName('usr_b', 'tsk_2'))).toEqual({
      kind: 'task',
      userId: 'usr_b',
      taskId: 'tsk_2',
    });
  });

  it('keep a bounded number of names', () => {
    for (let i = 0; i < 10_000; i++)
      expect(parseDocName(taskDocName('usr_c', `tsk_${i}`))?.kind).toBe('task');
    expect(parseDocName(taskDocName('usr_c', 'tsk_0'))).toEqual({
      kind: 'task',
      userId: 'usr_c',
      taskId: 'tsk_0',
    });
  });
});
