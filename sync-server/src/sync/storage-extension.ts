// Loads and stores Yjs documents through the Storage port. A document is stored only when it changed
// since it was loaded or last stored, so reads through direct connections (every API GET) cost
// neither a write nor encoding the whole document.
//
// [P2] A store that fails (the database is down) keeps the change: the document stays marked, is not
// unloaded while marked, and the store is retried every `STORE_RETRY_MS` until it succeeds. Without
// this Hocuspocus only logs the failure, and the last peer leaving would unload the unstored change.
import {
  isTransactionOrigin,
  type Document,
  type Extension,
  type afterUnloadDocumentPayload,
  type beforeUnloadDocumentPayload,
  type onLoadDocumentPayload,
  type onStoreDocumentPayload,
} from '@hocuspocus/server';
import { compactDeletedKeys, parseDocName } from '@openviber/shared';
import * as Y from 'yjs';
import type { Storage } from '../storage/storage.ts';

/** Delay before a failed store is tried again. */
export const STORE_RETRY_MS = 2_000;

/** How long a store of changes that all came from another process waits for that process's notice. */
export const STORED_ELSEWHERE_WAIT_MS = 3_000;

/**
 * Several processes holding one document (scale/store-notices.ts): a store may be skipped when the
 * states other processes announced they stored hold everything this copy does.
 */
export interface StoreCoordination {
  /** Synchronously: the announced stored states hold every item and deletion of `document`. */
  covers(name: string, document: Y.Doc): boolean;
  /** Resolves true as soon as they do, false after `waitMs`. */
  storedElsewhere(name: string, document: Y.Doc, waitMs: number): Promise<boolean>;
  /** This process stored `snapshot` of the document. */
  stored(name: string, snapshot: Y.Snapshot): void;
  /** The document was unloaded here. */
  forget(name: string): void;
}

export interface StorageExtensionOptions {
  coordination?: StoreCoordination;
  /** True for a document that must never be stored again (its entity was deleted, [D7]). */
  isDeleted?: (documentName: string) => boolean;
  /** True once the server is stopping: unstored documents may then unload (nothing else would end). */
  isStopping?: () => boolean;
  /** A document was loaded; `bytes` is what storage held for it (0 for a new one). */
  onLoaded?: (documentName: string, document: Document, bytes: number) => void;
}

/**
 * Applies the stored state with the document's 'update' listeners detached. Hocuspocus's Document
 * queues every update for broadcast, so loading through them encoded the whole state once more and
 * sent it to the first peers as an update on top of their sync step 2: twice the bytes of a large
 * workspace, and twice the work for the server and the peer. Nothing else listens during a load (our
 * own change mark and Hocuspocus's onUpdate are attached after it). If lib0 ever renames
 * `_observers`, this falls back to a plain apply (cold-load.integration.test.ts notices).
 */
function applyWithoutBroadcast(document: Y.Doc, state: Uint8Array): void {
  const observers = (document as unknown as { _observers?: unknown })._observers;
  const listeners = observers instanceof Map ? observers.get('update') : undefined;
  if (listeners) (observers as Map<string, unknown>).delete('update');
  try {
    Y.applyUpdate(document, state);
  } finally {
    if (listeners) (observers as Map<string, unknown>).set('update', listeners);
  }
}

/** The storage extension, and what it knows of each loaded document's stores (store-status.ts). */
export interface StorageExtension extends Extension {
  /** True while `document` holds a change not stored yet (changed since, or its store in flight). */
  unstored(document: Y.Doc): boolean;
  /**
   * A caller waits for the next store of `document` (the API's write): it goes to storage as an
   * awaited store. Every other store (debounced, at unload, a retry) is a background one.
   */
  awaitNextStore(document: Y.Doc): void;
}

export function storageExtension(storage: Storage, options: StorageExtensionOptions = {}): StorageExtension {
  const dirty = new WeakSet<Y.Doc>();
  const inFlight = new WeakSet<Y.Doc>();
  // Changed by something other than another process (a peer here, the API) since the last store:
  // such a change is stored here whatever others announce.
  const changedHere = new WeakSet<Y.Doc>();
  const { coordination } = options;
  const retrying = new WeakSet<Y.Doc>();
  const isDeleted = options.isDeleted ?? (() => false);
  const awaited = new WeakSet<Y.Doc>();

  const retryLater = (payload: onStoreDocumentPayload) => {
    const { document, instance } = payload;
    if (retrying.has(document)) return;
    retrying.add(document);
    setTimeout(() => {
      retrying.delete(document);
      if (document.isDestroyed || !dirty.has(document)) return;
      void instance.storeDocumentHooks(document, payload, true);
    }, STORE_RETRY_MS).unref();
  };

  return {
    extensionName: 'openviber-storage',
    unstored: (document) => dirty.has(document) || inFlight.has(document),
    awaitNextStore: (document) => {
      awaited.add(document);
      // A background store of it still queued holds the document's save lock, which the awaited
      // store waits for: it is written now too.
      if (inFlight.has(document)) storage.expedite?.((document as Document).name);
    },
    async onLoadDocument({ document, documentName }: onLoadDocumentPayload) {
      const state = await storage.fetchDocument(documentName);
      if (state) applyWithoutBroadcast(document, state);
      options.onLoaded?.(documentName, document, state?.byteLength ?? 0);
      // Every later change, from a peer, the API or another process through Redis, marks it.
      document.on('update', (_update: Uint8Array, origin: unknown) => {
        dirty.add(document);
        if (!isTransactionOrigin(origin) || origin.source !== 'redis') changedHere.add(document);
      });
    },
    async onStoreDocument(payload: onStoreDocumentPayload) {
      const { document, documentName } = payload;
      const background = !awaited.delete(document);
      if (!dirty.has(document)) return;
      if (coordination && !changedHere.has(document) && !options.isStopping?.()) {
        // Only other processes' changes: the process each came through stores it and says so.
        const announced = await coordination.storedElsewhere(
          documentName,
          document,
          STORED_ELSEWHERE_WAIT_MS,
        );
        // Checked again: a change may have landed while we waited.
        if (announced && !changedHere.has(document) && coordination.covers(documentName, document)) {
          dirty.delete(document);
          return;
        }
      }
      // Cleared before the write: a change that lands while it is in flight marks it again.
      dirty.delete(document);
      changedHere.delete(document);
      if (isDeleted(documentName)) return;
      // [D9] What deletions left in the workspace goes before it is stored, from the copy peers load
      // too: the store and every new peer get the collected form.
      if (parseDocName(documentName)?.kind === 'workspace') compactDeletedKeys(document);
      // Taken with the state, in the same turn, for whoever reads it: the storage, other processes.
      const snapshot = coordination || storage.usesSnapshots ? Y.snapshot(document) : undefined;
      inFlight.add(document);
      try {
        await storage.storeDocument(documentName, Y.encodeStateAsUpdate(document), { background, snapshot });
      } catch (error) {
        dirty.add(document);
        changedHere.add(document);
        retryLater(payload);
        throw error;
      } finally {
        inFlight.delete(document);
      }
      if (snapshot) coordination?.stored(documentName, snapshot);
    },
    async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload) {
      if (!instance.documents.has(documentName)) coordination?.forget(documentName);
    },
    async beforeUnloadDocument({ document, documentName }: beforeUnloadDocumentPayload) {
      // A falsy throw aborts the unload quietly; the retry stores it and unloads it then.
      if (dirty.has(document) && !isDeleted(documentName) && !options.isStopping?.()) throw null;
    },
  };
}
