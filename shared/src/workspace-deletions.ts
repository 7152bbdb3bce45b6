// [D7] The workspace's log of deleted entities. Every delete in shared/ records one, whoever makes it
// (the API, a device offline, an old tab), so the server can remove the deleted entities' documents
// from the store and refuse to recreate them, and each Viber can remove their checkouts when it sees
// the entry. One entry is the key `<kind code>:<id>` of the Y.Map `deletions`, its value the time of
// the deletion (ms), oldest first by (time, key). A keyed map rather than a list, so that a trimmed
// entry can be compacted to nothing ([D9], workspace-compaction.ts): no later write ever refers to an
// entry's key, while a list's later entries name their neighbours, trimmed or not. Entries of the
// pre-[D9] log (the Y.Array `deleted`, appended by older code) are still read, before the map's,
// and trimmed first; nothing appends to it any more.
import * as Y from 'yjs';
import { parseDocName } from './doc-names.ts';
import { isId } from './ids.ts';
import { MAX_DELETIONS } from './limits.ts';

/** What kind of entity a deletion names. */
export const DeletedKind = {
  environment: 'environment',
  binding: 'binding',
  task: 'task',
  viber: 'viber',
} as const;
export type DeletedKind = (typeof DeletedKind)[keyof typeof DeletedKind];

const CODE: Record<DeletedKind, string> = { environment: 'e', binding: 'b', task: 't', viber: 'v' };
const KIND_OF_CODE = new Map(Object.entries(CODE).map(([kind, code]) => [code, kind as DeletedKind]));

export interface Deletion {
  kind: DeletedKind;
  id: string;
}

export const deletionsMap = (doc: Y.Doc) => doc.getMap<unknown>('deletions');
/** The pre-[D9] log, oldest first: read and trimmed, never appended. */
export const legacyDeletionsArray = (doc: Y.Doc) => doc.getArray<unknown>('deleted');

const entryOf = (kind: DeletedKind, id: string) => `${CODE[kind]}:${id}`;

function parseEntry(entry: unknown): Deletion | null {
  if (typeof entry !== 'string') return null;
  const kind = KIND_OF_CODE.get(entry.slice(0, 1));
  const id = entry.slice(2);
  return kind && entry[1] === ':' && isId(id) ? { kind, id } : null;
}

/**
 * Records that an entity was deleted (call inside the transaction that deletes it). An entry already
 * there is left as it is: rewriting a key would make the new value refer to the old one, which a
 * server may have compacted ([D9]).
 */
export function recordDeletion(doc: Y.Doc, kind: DeletedKind, id: string, now = Date.now()): void {
  const map = deletionsMap(doc);
  const key = entryOf(kind, id);
  if (!map.has(key)) map.set(key, now);
}

/** Whether the log holds a deletion of `kind` `id` (either form of the log). */
export function isRecordedDeleted(doc: Y.Doc, kind: DeletedKind, id: string): boolean {
  const key = entryOf(kind, id);
  return deletionsMap(doc).has(key) || legacyDeletionsArray(doc).toArray().includes(key);
}

const timeOf = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The map's entries, oldest first by (time, key); a value of the wrong type counts as oldest. */
function mapEntriesOldestFirst(doc: Y.Doc): string[] {
  return [...deletionsMap(doc).entries()]
    .map(([key, value]) => ({ key, at: timeOf(value) }))
    .sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => e.key);
}

/** Every recorded deletion, oldest first; malformed entries a peer wrote are skipped ([S6]). */
export function listDeletions(doc: Y.Doc): Deletion[] {
  return [...legacyDeletionsArray(doc).toArray(), ...mapEntriesOldestFirst(doc)]
    .map(parseEntry)
    .filter((d): d is Deletion => d !== null);
}

/** How many entries the log holds, well-formed or not (what `trimDeletions` bounds). */
export function deletionsLogLength(doc: Y.Doc): number {
  return legacyDeletionsArray(doc).length + deletionsMap(doc).size;
}

/** A set view for fast lookups: `has(kind, id)`. Build once, then `add` what observers report. */
export class DeletionSet {
  readonly #entries = new Set<string>();

  constructor(deletions: Iterable<Deletion> = []) {
    for (const d of deletions) this.add(d);
  }

  add(d: Deletion): void {
    this.#entries.add(entryOf(d.kind, d.id));
  }

  has(kind: DeletedKind, id: string): boolean {
    return this.#entries.has(entryOf(kind, id));
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * True when the document belongs only to a deleted entity: a task's document, its run outputs and changes,
   * a binding's prepare log, a Viber's own document and all its sub-documents.
   */
  ownsDocument(documentName: string): boolean {
    const ref = parseDocName(documentName);
    if (!ref) return false;
    switch (ref.kind) {
      case 'workspace':
        return false;
      case 'task':
        return this.has('task', ref.taskId);
      case 'viber':
        return this.has('viber', ref.viberId);
      case 'run-output':
      case 'changes':
        return this.has('viber', ref.viberId) || this.has('task', ref.taskId);
      case 'prepare-log':
        return this.has('viber', ref.viberId) || this.has('binding', ref.bindingId);
    }
  }
}

/** Calls `onAdded` with each deletion appended to the log from now on (by anyone); returns an unsubscribe. */
export function observeDeletions(doc: Y.Doc, onAdded: (added: Deletion[]) => void): () => void {
  const report = (entries: unknown[]) => {
    const parsed = entries.map(parseEntry).filter((d): d is Deletion => d !== null);
    if (parsed.length) onAdded(parsed);
  };
  const map = deletionsMap(doc);
  const onMap = (event: Y.YMapEvent<unknown>) =>
    report([...event.changes.keys].filter(([, change]) => change.action === 'add').map(([key]) => key));
  // Older code still appends to the pre-[D9] list.
  const array = legacyDeletionsArray(doc);
  const onArray = (event: Y.YArrayEvent<unknown>) =>
    report(event.changes.delta.flatMap((d) => (d.insert as unknown[] | undefined) ?? []));
  map.observe(onMap);
  array.observe(onArray);
  return () => {
    map.unobserve(onMap);
    array.unobserve(onArray);
  };
}

/**
 * Keeps the newest `max` entries and drops the oldest (the server calls it after collecting). Only
 * entries `mayDrop` allows go (the collector passes those it has collected: an entry made offline
 * long ago arrives with an old time and must not be dropped before it is collected). A peer that
 * was offline for more than `max` deletions no longer sees the oldest ones, and must treat an
 * entity it holds but the workspace no longer has as deleted too.
 */
export function trimDeletions(
  doc: Y.Doc,
  max = MAX_DELETIONS,
  mayDrop: (d: Deletion) => boolean = () => true,
): number {
  let excess = deletionsLogLength(doc) - max;
  if (excess <= 0) return 0;
  const droppable = (entry: unknown) => {
    const d = parseEntry(entry);
    return d === null || mayDrop(d);
  };
  let dropped = 0;
  doc.transact(() => {
    const legacy = legacyDeletionsArray(doc);
    let fromLegacy = 0;
    while (fromLegacy < Math.min(excess, legacy.length) && droppable(legacy.get(fromLegacy))) fromLegacy++;
    if (fromLegacy > 0) legacy.delete(0, fromLegacy);
    excess -= fromLegacy;
    dropped += fromLegacy;
    const map = deletionsMap(doc);
    for (const key of mapEntriesOldestFirst(doc)) {
      if (excess === 0) break;
      if (!droppable(key)) continue;
      map.delete(key);
      excess--;
      dropped++;
    }
  });
  return dropped;
}
