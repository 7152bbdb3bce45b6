// Loads and stores Yjs documents through the Storage port; a store whose state is byte-for-byte the
// last stored one is skipped, so reads through direct connections cost no writes.
import type { Extension, onLoadDocumentPayload, onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Storage } from '../storage/storage.ts';

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  !!a && a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

export function storageExtension(storage: Storage): Extension {
  const lastStored = new WeakMap<Y.Doc, Uint8Array>();
  return {
    extensionName: 'openviber-storage',
    async onLoadDocument({ document, documentName }: onLoadDocumentPayload) {
      const state = await storage.fetchDocument(documentName);
      if (state) {
        Y.applyUpdate(document, state);
        // What we store is encodeStateAsUpdate's deterministic output, so the fetched bytes are what
        // re-encoding would give (a large workspace need not be encoded again on every load).
        lastStored.set(document, state);
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
