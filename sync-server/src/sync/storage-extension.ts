// Loads and stores Yjs documents through the Storage port; a store whose state is byte-for-byte the
// last stored one is skipped, so reads through direct connections cost no writes.
import type { Extension, onLoadDocumentPayload, onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Storage } from '../storage/storage.ts';

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  !!a && a.length === b.length && a.every((v, i) => v === b[i]);

export function storageExtension(storage: Storage): Extension {
  const lastStored = new WeakMap<Y.Doc, Uint8Array>();
  return {
    extensionName: 'openviber-storage',
    async onLoadDocument({ document, documentName }: onLoadDocumentPayload) {
      const state = await storage.fetchDocument(documentName);
      if (state) {
        Y.applyUpdate(document, state);
        lastStored.set(document, Y.encodeStateAsUpdate(document));
      }
    },
    async onStoreDocument({ document, documentName }: onStoreDocumentPayload) {
      const state = Y.encodeStateAsUpdate(document);
      if (sameBytes(lastStored.get(document), state)) return;
      await storage.storeDocument(documentName, state);
      lastStored.set(document, state);
    },
  };
}
