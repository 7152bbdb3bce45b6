// Messages the user sent that are not yet in their task document on this device's disk.
//
// A message is signed before it is written ([T4]), and signing takes a moment: the key and libsodium
// load after first paint. The task itself (its row in the workspace) is written at once, so a reload
// or a closed tab in that moment used to leave the task with no message — the user's text gone.
// Each message is now kept in localStorage, which is written synchronously, from the keypress until
// IndexedDB holds the task document with it; the next start writes what is left (same id, same
// time, signed then), and the document store sends it once the network is back.
import { listMessages, newId, taskDocName } from '@openviber/shared';
import type * as Y from 'yjs';

export interface OutgoingMessage {
  taskId: string;
  environmentId: string;
  viberId: string;
  text: string;
}

export interface OutboxEntry extends OutgoingMessage {
  messageId: string;
  /** When the user sent it: the message's time, however late it is written. */
  at: number;
}

/** What the outbox needs of an open task document (the document store's handle). */
export interface OutboxDoc {
  doc: Y.Doc;
  loaded: Promise<void>;
  /** Resolves once every write made so far is on this device's disk; rejects if the document closed first. */
  storedLocally(): Promise<void>;
  /** Resolves once the server's copy is merged in (at once offline, after `ms` at the latest). */
  syncedOrAfter(ms: number): Promise<void>;
  release(): void;
}

/**
 * At most this many unwritten messages are kept (a message is at most 64 KiB, localStorage holds
 * ~5 MB per origin); past it, or when localStorage refuses, a message is still sent, just not
 * kept across a reload in the moment before it is written.
 */
export const MAX_OUTBOX_ENTRIES = 32;

/** How long a message waits for its task's server copy before it is appended anyway. */
export const SERVER_COPY_WAIT_MS = 10_000;

const isEntry = (v: unknown): v is OutboxEntry => {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    ['taskId', 'environmentId', 'viberId', 'text', 'messageId'].every((k) => typeof e[k] === 'string') &&
    typeof e.at === 'number'
  );
};

export function createMessageOutbox(opts: {
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  userId: string;
  open: (docName: string) => OutboxDoc;
  /** Signs and appends the entry's message under its id and time (or unsigned without a key). */
  write: (doc: Y.Doc, entry: OutboxEntry) => Promise<unknown>;
  /**
   * Once the message is in its document (written now or by an earlier page): makes sure the task
   * is listed and tells its Viber to look ([V3]). Runs at every delivery, since a page can go away
   * after the write and before this.
   */
  written?: (entry: OutboxEntry) => Promise<unknown>;
}) {
  const key = `openviber.outbox.${opts.userId}`;
  const read = (): OutboxEntry[] => {
    try {
      const v = JSON.parse(opts.storage.getItem(key) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter(isEntry) : [];
    } catch {
      return [];
    }
  };
  const save = (entries: OutboxEntry[]) => {
    try {
      if (entries.length) opts.storage.setItem(key, JSON.stringify(entries));
      else opts.storage.removeItem(key);
    } catch {
      // full: the message is sent, only not kept across a reload
    }
  };
  const remove = (messageId: string) => {
    const entries = read();
    if (entries.some((e) => e.messageId === messageId))
      save(entries.filter((e) => e.messageId !== messageId));
  };

  /** Writes `entry` into its task document unless it is there already, then forgets it once on disk. */
  async function deliver(entry: OutboxEntry) {
    const handle = opts.open(taskDocName(opts.userId, entry.taskId));
    try {
      // Its local copy first: a message an earlier page wrote (but did not get to forget) is not written twice.
      await handle.loaded;
      // Then the server's, when this device is online: appended to a copy that has not synced yet (a
      // device new to the task), the message could be ordered before every earlier one.
      await handle.syncedOrAfter(SERVER_COPY_WAIT_MS);
      if (!listMessages(handle.doc).some((m) => m.id === entry.messageId))
        await opts.write(handle.doc, entry);
      await opts.written?.(entry);
      await handle.storedLocally();
      remove(entry.messageId);
    } finally {
      handle.release();
    }
  }

  let resumed: Promise<void> | undefined;
  return {
    /**
     * Sends a message: kept before this returns (synchronously), then signed and written; resolves
     * once the task document holds it on disk.
     */
    send(message: OutgoingMessage): Promise<void> {
      const entry: OutboxEntry = { ...message, messageId: newId<string>('msg'), at: Date.now() };
      const entries = read();
      if (entries.length < MAX_OUTBOX_ENTRIES) save([...entries, entry]);
      // Never rejects: a message that could not be stored (its document closed at sign-out) stays
      // kept, and the next start writes it.
      return deliver(entry).catch(() => undefined);
    },
    /** Writes what an earlier page left unwritten, in the order it was sent (once per start). */
    resume(): Promise<void> {
      resumed ??= (async () => {
        for (const entry of read()) await deliver(entry).catch(() => undefined);
      })();
      return resumed;
    },
    /** The messages not yet on disk (for tests and diagnostics). */
    list: read,
  };
}

export type MessageOutbox = ReturnType<typeof createMessageOutbox>;
