// A task's own document: the conversation (messages) and cancel requests, written by the user's side.
import * as Y from 'yjs';
import { isId, newId, type MessageId } from './ids.ts';
import { MAX_MESSAGE_LENGTH } from './limits.ts';
import { numberOr, signatureOr, stringOr } from './y-fields.ts';

export interface Message {
  id: MessageId;
  text: string;
  createdAt: number;
  /** Who sent it: a user id, or 'api'. */
  author: string;
  /** A device's signature over the message intent ([T4]); '' when unsigned (e.g. sent through the API). */
  signature?: string;
}

export const messagesArray = (doc: Y.Doc) => doc.getArray<unknown>('messages');
/** messageId → when a cancel was requested: a number (unsigned), or a Y.Map `{ at, signature }` ([T4]). */
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
      signature: signatureOr(item.get('signature')),
    });
  }
  return out;
}

/**
 * Appends a message; `signed` carries the id a device chose (and signed with) and its signature
 * ([T4]); without a signature the message is written unsigned under that id (awaiting approval).
 */
export function appendMessage(
  doc: Y.Doc,
  text: string,
  author: string,
  now = Date.now(),
  signed?: { messageId: string; signature?: string },
): MessageId {
  const id = (signed?.messageId ?? newId<MessageId>('msg')) as MessageId;
  const map = new Y.Map<unknown>();
  doc.transact(() => {
    messagesArray(doc).push([map]);
    map.set('id', id);
    map.set('text', text);
    map.set('createdAt', now);
    map.set('author', author);
    if (signed?.signature && signatureOr(signed.signature)) map.set('signature', signed.signature);
  });
  return id;
}

/** Records a device's signature over an existing message (the app's Approve) ([T4]). */
export function signMessage(doc: Y.Doc, messageId: string, signature: string): boolean {
  if (!signatureOr(signature)) return false;
  for (const item of messagesArray(doc).toArray()) {
    if (item instanceof Y.Map && item.get('id') === messageId) {
      if (item.get('signature') !== signature) item.set('signature', signature);
      return true;
    }
  }
  return false;
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

/** A cancel request as stored: when, and a device's signature over the cancel intent ('' if unsigned). */
export function readCancel(doc: Y.Doc, messageId: string): { at: number; signature: string } | undefined {
  const value = cancelsMap(doc).get(messageId);
  if (value === undefined) return undefined;
  if (value instanceof Y.Map)
    return { at: numberOr(value.get('at'), 0), signature: signatureOr(value.get('signature')) };
  return { at: numberOr(value, 0), signature: '' };
}

/** A signed cancel request (the app's Cancel on a pinned Viber); replaces an unsigned one ([T4]). */
export function requestSignedCancel(
  doc: Y.Doc,
  messageId: string,
  signature: string,
  now = Date.now(),
): boolean {
  if (!signatureOr(signature)) return false;
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    cancelsMap(doc).set(messageId, entry);
    entry.set('at', now);
    entry.set('signature', signature);
  });
  return true;
}

/**
 * A request to push the task's changes to a branch (intent, written by the user's side), signed like
 * a message: a device's signature over the push intent ([T4]), '' when unsigned (e.g. through the API).
 */
export interface PushRequest {
  id: string;
  branch: string;
  commitMessage: string;
  requestedAt: number;
  signature: string;
}

export const pushRequestsArray = (doc: Y.Doc) => doc.getArray<unknown>('pushRequests');

/** Appends a push request; `signed` carries the id a device signed with and its signature ([T4]). */
export function requestPush(
  doc: Y.Doc,
  input: { branch: string; commitMessage?: string },
  now = Date.now(),
  signed?: { requestId: string; signature: string },
): PushRequest {
  const signature = signatureOr(signed?.signature);
  const request: PushRequest = {
    id: signed?.requestId ?? newId('push'),
    branch: input.branch,
    commitMessage: input.commitMessage ?? '',
    requestedAt: now,
    signature,
  };
  const map = new Y.Map<unknown>();
  doc.transact(() => {
    pushRequestsArray(doc).push([map]);
    for (const [k, v] of Object.entries(request)) if (k !== 'signature' || v) map.set(k, v);
  });
  return request;
}

/** Records a device's signature over an existing push request (the app's Approve) ([T4]). */
export function signPushRequest(doc: Y.Doc, requestId: string, signature: string): boolean {
  if (!signatureOr(signature)) return false;
  for (const item of pushRequestsArray(doc).toArray()) {
    if (item instanceof Y.Map && item.get('id') === requestId) {
      if (item.get('signature') !== signature) item.set('signature', signature);
      return true;
    }
  }
  return false;
}

function readPushRequest(item: unknown): PushRequest | null {
  if (!(item instanceof Y.Map)) return null;
  const id = item.get('id');
  const branch = item.get('branch');
  if (!isId(id) || typeof branch !== 'string') return null;
  return {
    id,
    branch,
    commitMessage: stringOr(item.get('commitMessage'), ''),
    requestedAt: numberOr(item.get('requestedAt'), 0),
    signature: signatureOr(item.get('signature')),
  };
}

/** The newest well-formed push request, or null ([S6]: entries of the wrong shape are skipped). */
export function latestPushRequest(doc: Y.Doc): PushRequest | null {
  const items = pushRequestsArray(doc).toArray();
  for (let i = items.length - 1; i >= 0; i--) {
    const request = readPushRequest(items[i]);
    if (request) return request;
  }
  return null;
}

/** The well-formed push request with this id, or null. */
export function findPushRequest(doc: Y.Doc, requestId: string): PushRequest | null {
  for (const item of pushRequestsArray(doc).toArray()) {
    const request = readPushRequest(item);
    if (request?.id === requestId) return request;
  }
  return null;
}
