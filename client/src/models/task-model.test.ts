// A long conversation re-renders only what changed: a message keeps its view object (the memo key
// of MessageItem) while its text, run and cancel flag are unchanged.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  appendMessage,
  appendRunOutput,
  listMessages,
  runOutputDocName,
  taskDocName,
  writeRun,
} from '@openviber/shared';
import type { DocStore } from '../sync/doc-store.ts';
import { createTaskModel } from './task-model.ts';

function fakeStore() {
  const docs = new Map<string, Y.Doc>();
  const store = {
    open(name: string) {
      if (!docs.has(name)) docs.set(name, new Y.Doc());
      return { doc: docs.get(name)!, loaded: Promise.resolve(), release: () => undefined };
    },
  } as unknown as DocStore;
  return { store, doc: (name: string) => docs.get(name)! };
}

describe('task model views', () => {
  it('keeps the view object of every unchanged message when one message is added or one run writes output', () => {
    const { store, doc } = fakeStore();
    const model = createTaskModel(store, 'usr_1', 'tsk_1', 'vb_1');
    const task = doc(taskDocName('usr_1', 'tsk_1'));
    for (let i = 0; i < 2_000; i++) appendMessage(task, `echo ${i}`, 'usr_1');
    const before = model.messages.value;
    expect(before).toHaveLength(2_000);

    appendMessage(task, 'echo new', 'usr_1');
    const after = model.messages.value;
    expect(after).toHaveLength(2_001);
    expect(after.slice(0, 2_000).every((v, i) => v === before[i])).toBe(true);

    // The Viber writes a run for the last message: only that message's view changes.
    const runs = doc(runOutputDocName('usr_1', 'vb_1', 'tsk_1'));
    const last = listMessages(task).at(-1)!;
    writeRun(runs, last.id, { state: 'started', startedAt: 1 });
    appendRunOutput(runs, last.id, 'hello');
    const withRun = model.messages.value;
    expect(withRun.at(-1)).not.toBe(after.at(-1));
    expect(withRun.at(-1)?.run?.output).toBe('hello');
    expect(withRun.slice(0, 2_000).every((v, i) => v === before[i])).toBe(true);
    model.dispose();
  });
});
