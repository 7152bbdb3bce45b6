// One open task: its conversation (task doc, read-write) and its runs (the Viber's run doc, read-only).
import { computed } from '@preact/signals';
import {
  appendMessage,
  cancelsMap,
  listMessages,
  listRuns,
  requestCancel,
  runOutputDocName,
  taskDocName,
  type Message,
  type RunRecord,
} from '@openviber/shared';
import type { DocStore } from '../sync/doc-store.ts';
import { docVersion } from './doc-version.ts';

export interface MessageView {
  message: Message;
  run: RunRecord | undefined;
  cancelRequested: boolean;
}

export function createTaskModel(store: DocStore, userId: string, taskId: string, viberId: string) {
  const task = store.open(taskDocName(userId, taskId));
  const [taskVersion, stopTask] = docVersion(task.doc);
  const runs = viberId ? store.open(runOutputDocName(userId, viberId, taskId)) : null;
  const [runVersion, stopRuns] = runs ? docVersion(runs.doc) : [null, () => undefined];

  const messages = computed<MessageView[]>(() => {
    void taskVersion.value;
    void runVersion?.value;
    const runMap = runs ? listRuns(runs.doc) : new Map<string, RunRecord>();
    const cancels = cancelsMap(task.doc);
    return listMessages(task.doc).map((message) => ({
      message,
      run: runMap.get(message.id),
      cancelRequested: cancels.has(message.id),
    }));
  });

  return {
    messages,
    loaded: task.loaded,
    send: (text: string) => appendMessage(task.doc, text, userId),
    cancel: (messageIds: string[]) => requestCancel(task.doc, messageIds),
    dispose() {
      stopTask();
      stopRuns();
      task.release();
      runs?.release();
    },
  };
}

export type TaskModel = ReturnType<typeof createTaskModel>;
