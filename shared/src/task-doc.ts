// A task's own document: the conversation (messages) and cancel requests, written by the user's side.
import * as Y from 'yjs';
import { isId, newId, type MessageId } from './ids.ts';
import { MAX_MESSAGE_LENGTH } from './limits.ts';
import { numberOr, stringOr } from './y-fields.ts';

export interface Message {
  id: MessageId;
  text: string;
  createdAt: number;
  /** Who sent it: a user id, or 'api'. */
  author: string;
}

export const messagesArray = (doc: Y.Doc) => doc.getArray<unknown>('messages');
/** messageId → when a cancel was requested. */
export const cancelsMap = (doc: Y.Doc) => doc.getMap<unknown>('cancels');

/** The messages in order; entries a peer stored with the wrong shape are skipped. */
export function listMessages(doc: Y.Doc): Message[] {
  const seen = new Set<string>();
  const out: Message[] = [];
  for (const item of messagesArray(doc).toArray()) {
    if (!(item instanceof Y.Map)) continue;
    const id = item.get('id');
    const text = item.get('text');
    if (!isId(id) || typeof text !== 'string' || seen.has(id) || text.length > MAX_MESSAGE_LENGTH) continue;
    seen.add(id);
    out.push({
      id: id as MessageId,
      text,
      createdAt: numberOr(item.get('createdAt'), 0),
      author: stringOr(item.get('author'), ''),
    });
  }
  return out;
}

export function appendMessage(doc: Y.Doc, text: string, author: string, now = Date.now()): MessageId {
  const id = newId<MessageId>('msg');
  const map = new Y.Map<unknown>();
  doc.transact(() => {
    messagesArray(doc).push([map]);
    map.set('id', id);
    map.set('text', text);
    map.set('createdAt', now);
    map.set('author', author);
  });
  return id;
}

/** Requests cancellation of the given messages (a Viber stops a running one and skips a queued one). */
export function requestCancel(doc: Y.Doc, messageIds: string[], now = Date.now()): void {
  doc.transact(() => {
    for (const id of messageIds) if (!cancelsMap(doc).has(id)) cancelsMap(doc).set(id, now);
  });
}

export function isCancelRequested(doc: Y.Doc, messageId: string): boolean {
  return cancelsMap(doc).has(messageId);
}
