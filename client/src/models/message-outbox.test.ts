// The outbox's promise: a message the user sent is never lost to a page that went away before it
// was written (the browser's part — a real reload in Chromium with IndexedDB — is in
// e2e/offline.test.ts). Real Y.Docs; localStorage is a Map (or one that refuses writes).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendMessage, listMessages, taskDocName } from '@openviber/shared';
import { createMessageOutbox, MAX_OUTBOX_ENTRIES, type OutboxEntry } from './message-outbox.ts';

const USER = 'usr_1';
const KEY = `openviber.outbox.${USER}`;
/** Shaped as a stored Ed25519 signature (the writer here stands in for signing). */
const SIG = `${'s'.repeat(86)}==`;

function mapStorage(refuse = false) {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => {
      if (refuse) throw new DOMException('quota', 'QuotaExceededError');
      map.set(k, v);
    },
    removeItem: (k: string) => void map.delete(k),
  };
}

/** One "page": its own open documents (a fresh Y.Doc per task, loaded from `disk`) and a writer. */
function page(
  storage: ReturnType<typeof mapStorage>,
  disk: Map<string, Uint8Array>,
  write: (doc: Y.Doc, e: OutboxEntry) => Promise<unknown>,
  opts: {
    stored?: Promise<void>;
    written?: (e: OutboxEntry) => Promise<unknown>;
    /** When the server's copy has been merged in (the test merges it first). */
    synced?: (doc: Y.Doc) => Promise<void>;
  } = {},
) {
  const docs = new Map<string, Y.Doc>();
  const released: string[] = [];
  const outbox = createMessageOutbox({
    storage,
    userId: USER,
    open: (name) => {
      let doc = docs.get(name);
      if (!doc) {
        doc = new Y.Doc();
        const saved = disk.get(name);
        if (saved) Y.applyUpdate(doc, saved);
        docs.set(name, doc);
      }
      const d = doc;
      return {
        doc: d,
        loaded: Promise.resolve(),
        syncedOrAfter: () => opts.synced?.(d) ?? Promise.resolve(),
        storedLocally: async () => {
          await opts.stored;
          disk.set(name, Y.encodeStateAsUpdate(d));
        },
        release: () => released.push(name),
      };
    },
    write,
    written: opts.written,
  });
  return { outbox, docs, released };
}

const signedWrite = (doc: Y.Doc, e: OutboxEntry) =>
  Promise.resolve(appendMessage(doc, e.text, USER, e.at, { messageId: e.messageId, signature: SIG }));
const never = () => new Promise<never>(() => undefined);
const message = (text: string, taskId = 'tsk_1') => ({
  taskId,
  environmentId: 'env_1',
  viberId: 'vbr_1',
  text,
});

describe('message outbox', () => {
  it('keeps a message from the keypress; a page gone before it was written leaves it to the next start, which writes it once with its id and time', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    const first = page(storage, disk, never); // signing never finishes: the page goes away
    void first.outbox.send(message('echo keep me'));
    // Kept synchronously, before send returned.
    const [kept] = first.outbox.list();
    expect(kept).toMatchObject({ taskId: 'tsk_1', text: 'echo keep me' });
    expect(JSON.parse(storage.map.get(KEY)!)).toHaveLength(1);

    const second = page(storage, disk, signedWrite);
    await second.outbox.resume();
    const doc = second.docs.get(taskDocName(USER, 'tsk_1'))!;
    expect(listMessages(doc)).toEqual([
      expect.objectContaining({
        id: kept.messageId,
        text: 'echo keep me',
        createdAt: kept.at,
        signature: SIG,
      }),
    ]);
    expect(storage.map.has(KEY)).toBe(false);
    expect(second.released).toEqual([taskDocName(USER, 'tsk_1')]);

    // A third start finds nothing to do: it opens no document.
    const third = page(storage, disk, signedWrite);
    await third.outbox.resume();
    expect(third.docs.size).toBe(0);
  });

  it('a device new to the task appends after what the server holds, not before it (its copy synced first)', async () => {
    const storage = mapStorage();
    // The server's copy: two earlier messages, from another device.
    const server = new Y.Doc();
    appendMessage(server, 'echo one', USER, 1, { messageId: 'msg_one', signature: SIG });
    appendMessage(server, 'echo two', USER, 2, { messageId: 'msg_two', signature: SIG });
    const device = page(storage, new Map(), signedWrite, {
      synced: async (doc) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // the sync arrives a moment later
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
      },
    });
    await device.outbox.send(message('echo three'));
    const doc = device.docs.get(taskDocName(USER, 'tsk_1'))!;
    // Merged both ways, every device sees the same order.
    Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
    expect(listMessages(server).map((m) => m.text)).toEqual(['echo one', 'echo two', 'echo three']);
  });

  it('forgets a message only once its document is on disk; one written but not forgotten is not written again', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    let stored!: () => void;
    const held = new Promise<void>((resolve) => (stored = resolve));
    let writes = 0;
    const counting = (doc: Y.Doc, e: OutboxEntry) => (writes++, signedWrite(doc, e));
    const first = page(storage, disk, counting, { stored: held });
    const sent = first.outbox.send(message('echo once'));
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toBe(1);
    expect(first.outbox.list()).toHaveLength(1); // written, not yet on disk: still kept

    // The page goes away here, after IndexedDB took the write but before the outbox heard of it.
    disk.set(taskDocName(USER, 'tsk_1'), Y.encodeStateAsUpdate(first.docs.get(taskDocName(USER, 'tsk_1'))!));
    const second = page(storage, disk, counting);
    await second.outbox.resume();
    expect(writes).toBe(1);
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_1'))!)).toHaveLength(1);
    expect(storage.map.has(KEY)).toBe(false);

    stored();
    await sent;
    expect(first.released).toEqual([taskDocName(USER, 'tsk_1')]);
  });

  it('lists and bumps the task after every delivery, also for a message an earlier page wrote but did not forget (its row may have died with that page)', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    const after: string[] = [];
    const written = (e: OutboxEntry) => Promise.resolve(after.push(e.messageId));
    let stored!: () => void;
    const held = new Promise<void>((resolve) => (stored = resolve));
    const first = page(storage, disk, signedWrite, { stored: held, written: never });
    void first.outbox.send(message('echo listed'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The page goes away with the message in IndexedDB, before the task was listed and bumped.
    disk.set(taskDocName(USER, 'tsk_1'), Y.encodeStateAsUpdate(first.docs.get(taskDocName(USER, 'tsk_1'))!));
    const [kept] = first.outbox.list();

    const second = page(storage, disk, signedWrite, { written });
    await second.outbox.resume();
    expect(after).toEqual([kept.messageId]);
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_1'))!)).toHaveLength(1);
    expect(storage.map.has(KEY)).toBe(false);

    // A message sent now: listed and bumped once, after it is in its document.
    const third = page(storage, disk, signedWrite, {
      written: (e) => {
        expect(listMessages(third.docs.get(taskDocName(USER, 'tsk_1'))!).map((m) => m.id)).toContain(
          e.messageId,
        );
        return written(e);
      },
    });
    await third.outbox.send(message('echo next'));
    expect(after).toHaveLength(2);
    stored();
  });

  it('a message whose document closed before it was on disk (sign-out while signing) stays kept for the next start', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    const closed = Promise.reject(new Error('closed before it was stored'));
    closed.catch(() => undefined);
    const first = page(storage, disk, signedWrite, { stored: closed });
    await expect(first.outbox.send(message('echo survive sign-out'))).resolves.toBeUndefined();
    expect(first.outbox.list().map((e) => e.text)).toEqual(['echo survive sign-out']);

    const second = page(storage, disk, signedWrite);
    await second.outbox.resume();
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_1'))!).map((m) => m.text)).toEqual([
      'echo survive sign-out',
    ]);
    expect(storage.map.has(KEY)).toBe(false);
  });

  it('resumes in the order the messages were sent, across tasks, once per start', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    const first = page(storage, disk, never);
    for (const [text, task] of [
      ['one', 'tsk_a'],
      ['two', 'tsk_b'],
      ['three', 'tsk_a'],
    ])
      void first.outbox.send(message(text, task));
    const order: string[] = [];
    // Signing takes a moment: a second resume while the first signs must not write them again.
    const second = page(storage, disk, async (doc, e) => {
      order.push(e.text);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return signedWrite(doc, e);
    });
    await Promise.all([second.outbox.resume(), second.outbox.resume()]);
    expect(order).toEqual(['one', 'two', 'three']);
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_a'))!).map((m) => m.text)).toEqual([
      'one',
      'three',
    ]);
  });

  it(`keeps at most ${MAX_OUTBOX_ENTRIES} unwritten messages, and a message it cannot keep (localStorage full) is still sent`, async () => {
    const storage = mapStorage();
    const first = page(storage, new Map(), never);
    for (let i = 0; i < MAX_OUTBOX_ENTRIES + 5; i++) void first.outbox.send(message(`m${i}`));
    expect(first.outbox.list()).toHaveLength(MAX_OUTBOX_ENTRIES);

    const full = mapStorage(true);
    const second = page(full, new Map(), signedWrite);
    await second.outbox.send(message('still sent'));
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_1'))!).map((m) => m.text)).toEqual([
      'still sent',
    ]);
  });

  it('ignores what it cannot read in localStorage (another version, a hand edit) without losing the rest', async () => {
    const storage = mapStorage();
    const disk = new Map<string, Uint8Array>();
    storage.map.set(KEY, '{not json');
    const first = page(storage, disk, signedWrite);
    await first.outbox.resume(); // nothing to do, no throw
    storage.map.set(
      KEY,
      JSON.stringify([
        42,
        { taskId: 'tsk_1', text: 'no id' },
        { ...message('valid'), messageId: 'msg_valid', at: 5 },
      ]),
    );
    const second = page(storage, disk, signedWrite);
    await second.outbox.resume();
    expect(listMessages(second.docs.get(taskDocName(USER, 'tsk_1'))!)).toEqual([
      expect.objectContaining({ id: 'msg_valid', text: 'valid', createdAt: 5 }),
    ]);
  });
});
