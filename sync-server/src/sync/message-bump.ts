// [V3] A Viber looks at a task again only when its `updatedAt` in the workspace changes, and whoever
// adds a message bumps it (the API, the app). But the two are different documents: a server killed
// with -9 after storing the workspace's bump and before storing the task document loses the message
// only — the device that wrote it sends it again when it reconnects, with no second bump — and a
// Viber that looked in between recorded the task idle at that `updatedAt` and never looked again:
// the message never ran. So the server bumps too, from where the message arrives: each message or
// push request a peer adds to a task document (not the API, which bumps itself; not another
// process through Redis, whose own peer it was) bumps the task once, TASK_BUMP_DELAY_MS later.
import { isTransactionOrigin, type Extension } from '@hocuspocus/server';
import {
  messagesArray,
  parseDocName,
  pushRequestsArray,
  touchTask,
  workspaceDocName,
} from '@openviber/shared';
import type * as Y from 'yjs';
import type { DocGateway } from './doc-gateway.ts';

/** Messages arriving together (a device's reconnect) share one bump. */
export const TASK_BUMP_DELAY_MS = 500;

export function messageBumpExtension(gateway: () => DocGateway, log: (line: string) => void): Extension {
  const pending = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const bump = (userId: string, taskId: string) => {
    const key = `${userId}/${taskId}`;
    if (stopped || pending.has(key)) return;
    const timer = setTimeout(() => {
      pending.delete(key);
      if (stopped) return;
      gateway()
        .writeLazily(workspaceDocName(userId), (doc) => touchTask(doc, taskId))
        .catch((error: unknown) => log(`task ${taskId}: bump after a new message failed: ${String(error)}`));
    }, TASK_BUMP_DELAY_MS);
    timer.unref();
    pending.set(key, timer);
  };
  return {
    extensionName: 'openviber-message-bump',
    async afterLoadDocument({ document, documentName }) {
      const ref = parseDocName(documentName);
      if (ref?.kind !== 'task') return;
      const added = (event: Y.YArrayEvent<unknown>, transaction: Y.Transaction) => {
        const { origin } = transaction;
        if (!isTransactionOrigin(origin) || origin.source !== 'connection') return;
        if (event.changes.added.size > 0) bump(ref.userId, ref.taskId);
      };
      messagesArray(document).observe(added);
      pushRequestsArray(document).observe(added);
    },
    async onDestroy() {
      stopped = true;
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}
