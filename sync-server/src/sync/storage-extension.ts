// Loads and stores Yjs documents through the Storage port. A document is stored only when it changed
// since it was loaded or last stored, so reads through direct connections (every API GET) cost
// neither a write nor encoding the whole document.
import type { Extension, onLoadDocumentPayload, onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Storage } from '../storage/storage.ts';

export function storageExtension(storage: Storage): Extension {
  const dirty = new WeakSet<Y.Doc>();
  return {
    extensionName: 'openviber-storage',
    async onLoadDocument({ document, documentName }: onLoadDocumentPayload) {
      const state = await storage.fetchDocument(documentName);
      if (state) Y.applyUpdate(document, state);
      // Every later change, from a peer, the API or another process through Redis, marks it.
      document.on('update', () => dirty.add(document));
    },
    async onStoreDocument({ document, documentName }: onStoreDocumentPayload) {
      if (!dirty.has(document)) return;
      // Cleared before the write: a change that lands while it is in flight marks it again.
      dirty.delete(document);
      try {
        await storage.storeDocument(documentName, Y.encodeStateAsUpdate(document));
      } catch (error) {
        dirty.add(document); // Hocuspocus keeps the document and retries the store
        throw error;
      }
    },
  };
}
