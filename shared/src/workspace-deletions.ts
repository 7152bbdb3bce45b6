// [D7] The workspace's log of deleted entities. Every delete in shared/ appends to it, whoever makes
// it (the API, a device offline, an old tab), so the server can remove the deleted entities' documents
// from the store and refuse to recreate them, and each Viber can remove their checkouts when it sees
// the entry. One entry is the string `<kind code>:<id>` in the Y.Array `deleted`, oldest first:
// consecutive appends by one device merge into one Yjs item, and trimmed ranges collapse to a few
// bytes, which a Y.Map keyed by id (one item with its key string per entry, forever) would not.
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

export const deletionsArray = (doc: Y.Doc) => doc.getArray<unknown>('deleted');

const entryOf = (kind: DeletedKind, id: string) => `${CODE[kind]}:${id}`;

function parseEntry(entry: unknown): Deletion | null {
  if (typeof entry !== 'string') return null;
  const kind = KIND_OF_CODE.get(entry.slice(0, 1));
  const id = entry.slice(2);
  return kind && entry[1] === ':' && isId(id) ? { kind, id } : null;
}

/** Records that an entity was deleted (call inside the transaction that deletes it). */
export function recordDeletion(doc: Y.Doc, kind: DeletedKind, id: string): void {
  deletionsArray(doc).push([entryOf(kind, id)]);
}

/** Every recorded deletion, oldest first; malformed entries a peer wrote are skipped ([S6]). */
export function listDeletions(doc: Y.Doc): Deletion[] {
  return deletionsArray(doc)
    .toArray()
    .map(parseEntry)
    .filter((d): d is Deletion => d !== null);
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
  const array = deletionsArray(doc);
  const observer = (event: Y.YArrayEvent<unknown>) => {
    const added = event.changes.delta.flatMap((d) => (d.insert as unknown[] | undefined) ?? []);
    const parsed = added.map(parseEntry).filter((d): d is Deletion => d !== null);
    if (parsed.length) onAdded(parsed);
  };
  array.observe(observer);
  return () => array.unobserve(observer);
}

/**
 * Keeps the newest `max` entries and drops the oldest (the server calls it after collecting). A peer
 * that was offline for more than `max` deletions no longer sees the oldest ones, and must treat an
 * entity it holds but the workspace no longer has as deleted too.
 */
export function trimDeletions(doc: Y.Doc, max = MAX_DELETIONS): number {
  const array = deletionsArray(doc);
  const excess = array.length - max;
  if (excess <= 0) return 0;
  array.delete(0, excess);
  return excess;
}
