// y-indexeddb per document, plus what y-indexeddb does not tell: when a local write is really on disk.
import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** IndexedDB database name of a document (one database per document, as y-indexeddb does). */
export const localDbName = (docName: string) => `openviber:${docName}`;

export interface LocalPersistence {
  /** The transaction origin of updates replayed from IndexedDB. */
  origin: unknown;
  /** Resolves once the stored state is loaded into the doc: only then is local state trusted. */
  loaded: Promise<void>;
  /** Local writes not yet confirmed by IndexedDB. */
  pending(): number;
  /** Calls `listener` when pending() changes; returns the unsubscribe. */
  onPendingChange(listener: () => void): () => void;
  destroy(): Promise<void>;
}

/**
 * y-indexeddb stores each update in its own readwrite transaction, created synchronously on the
 * doc's update event. A readonly transaction on the same store opened after it completes only after
 * it (IndexedDB orders overlapping transactions), which is our confirmation that the write is durable.
 */
export function persistLocally(name: string, doc: Y.Doc): LocalPersistence {
  const idb = new IndexeddbPersistence(localDbName(name), doc);
  let pending = 0;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const onUpdate = (_update: Uint8Array, origin: unknown) => {
    if (origin === idb) return;
    pending++;
    changed();
    const confirm = () => {
      pending--;
      changed();
    };
    void idb.whenSynced.then(() => {
      const db = idb.db;
      if (!db) return confirm();
      try {
        const tx = db.transaction(['updates'], 'readonly');
        tx.oncomplete = confirm;
        tx.onabort = confirm;
        tx.onerror = confirm;
      } catch {
        confirm();
      }
    });
  };
  doc.on('update', onUpdate);
  return {
    origin: idb,
    loaded: idb.whenSynced.then(() => undefined),
    pending: () => pending,
    onPendingChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    destroy: async () => {
      doc.off('update', onUpdate);
      await idb.destroy();
    },
  };
}
