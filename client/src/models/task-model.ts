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
import type { MessageOutbox } from './message-outbox.ts';
import type { SigningModel } from './signing-model.ts';

export interface MessageView {
  message: Message;
  run: RunRecord | undefined;
  cancelRequested: boolean;
}

function sameRun(a: RunRecord | undefined, b: RunRecord | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.state === b.state &&
    a.exitCode === b.exitCode &&
    a.startedAt === b.startedAt &&
    a.endedAt === b.endedAt &&
    a.error === b.error &&
    a.droppedChars === b.droppedChars &&
    a.output === b.output
  );
}

/** Equal content: the previous view object can be kept. */
export function sameView(a: MessageView, b: MessageView): boolean {
  return (
    a.message.text === b.message.text &&
    a.message.createdAt === b.message.createdAt &&
    a.cancelRequested === b.cancelRequested &&
    sameRun(a.run, b.run)
  );
}

export function createTaskModel(
  store: DocStore,
  userId: string,
  taskId: string,
  viberId: string,
  /**
   * Signs messages (sent through the outbox, kept until written) and cancels ([T4]); without it they
   * are written unsigned (awaiting approval).
   */
  signer?: { signing: SigningModel; outbox: MessageOutbox; environmentId: string },
) {
  const task = store.open(taskDocName(userId, taskId));
  const [taskVersion, stopTask] = docVersion(task.doc);
  const runs = viberId ? store.open(runOutputDocName(userId, viberId, taskId)) : null;
  const [runVersion, stopRuns] = runs ? docVersion(runs.doc) : [null, () => undefined];

  // A message whose text, run and cancel flag did not change keeps its view object, so the view
  // (memoised per message) re-renders only what changed: one message's output, not the timeline.
  let previous = new Map<string, MessageView>();
  const messages = computed<MessageView[]>(() => {
    void taskVersion.value;
    void runVersion?.value;
    const runMap = runs ? listRuns(runs.doc) : new Map<string, RunRecord>();
    const cancels = cancelsMap(task.doc);
    const next = new Map<string, MessageView>();
    const list = listMessages(task.doc).map((message) => {
      const view: MessageView = {
        message,
        run: runMap.get(message.id),
        cancelRequested: cancels.has(message.id),
      };
      const before = previous.get(message.id);
      const kept = before && sameView(before, view) ? before : view;
      next.set(message.id, kept);
      return kept;
    });
    previous = next;
    return list;
  });

  return {
    messages,
    loaded: task.loaded,
    send: (text: string) =>
      signer
        ? signer.outbox.send({ taskId, environmentId: signer.environmentId, viberId, text })
        : appendMessage(task.doc, text, userId),
    /**
     * "Run on <Viber>": the user's signed messages are signed for it first ([T5]), then `assign`
     * names it as the task's Viber.
     */
    runOn: async (newViberId: string, assign: () => void) => {
      if (signer)
        await signer.signing.signForViber(
          task.doc,
          { taskId, environmentId: signer.environmentId, viberId },
          newViberId,
        );
      assign();
    },
    cancel: (messageIds: string[]) =>
      signer
        ? signer.signing.cancel(task.doc, taskId, messageIds, (ids) => requestCancel(task.doc, ids))
        : requestCancel(task.doc, messageIds),
    dispose() {
      stopTask();
      stopRuns();
      task.release();
      runs?.release();
    },
  };
}

export type TaskModel = ReturnType<typeof createTaskModel>;
