// The storage extension writes a document only when it changed: reads through direct connections
// (what every API GET does) store nothing, a change is stored once, and a failed store is retried.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hocuspocus } from '@hocuspocus/server';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SqliteStorage } from '../storage/sqlite-storage.ts';
import { storageExtension } from './storage-extension.ts';

const open: SqliteStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function counted(file: string, failNext = { value: false }) {
  const storage = new SqliteStorage(file);
  open.push(storage);
  const stores: string[] = [];
  const store = storage.storeDocument.bind(storage);
  storage.storeDocument = async (name, state) => {
    if (failNext.value) {
      failNext.value = false;
      throw new Error('disk full');
    }
    stores.push(name);
    return store(name, state);
  };
  const hocuspocus = new Hocuspocus({ quiet: true, extensions: [storageExtension(storage)] });
  return { storage, stores, hocuspocus };
}

const read = async (h: Hocuspocus, name: string) => {
  const conn = await h.openDirectConnection(name);
  const value = conn.document!.getMap('m').toJSON();
  await conn.disconnect();
  return value;
};
const write = async (h: Hocuspocus, name: string, key: string) => {
  const conn = await h.openDirectConnection(name);
  await conn.transact((doc: Y.Doc) => doc.getMap('m').set(key, true));
  await conn.disconnect();
};

describe('storage extension', () => {
  it('stores a change once and nothing for reads, also after a reload from disk', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ov-store-')), 'db.sqlite');
    const a = counted(file);
    await write(a.hocuspocus, 'u/x/workspace', 'k1');
    expect(a.stores).toEqual(['u/x/workspace']);
    for (let i = 0; i < 3; i++) expect(await read(a.hocuspocus, 'u/x/workspace')).toEqual({ k1: true });
    expect(a.stores).toEqual(['u/x/workspace']);

    const b = counted(file); // a fresh process on the same file
    expect(await read(b.hocuspocus, 'u/x/workspace')).toEqual({ k1: true });
    expect(b.stores).toEqual([]);
    await write(b.hocuspocus, 'u/x/workspace', 'k2');
    expect(b.stores).toEqual(['u/x/workspace']);
    expect(await read(counted(file).hocuspocus, 'u/x/workspace')).toEqual({ k1: true, k2: true });
  });

  it('a store that fails leaves the document marked changed, so the next store writes it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ov-store-')), 'db.sqlite');
    const failNext = { value: true };
    const a = counted(file, failNext);
    const conn = await a.hocuspocus.openDirectConnection('u/x/workspace');
    await conn.transact((doc: Y.Doc) => doc.getMap('m').set('k', 1));
    // Hocuspocus logs the failure and keeps the document in memory.
    await a.hocuspocus.storeDocumentHooks(
      conn.document!,
      {
        clientsCount: 1,
        document: conn.document!,
        documentName: 'u/x/workspace',
        instance: a.hocuspocus,
        lastContext: {},
        lastTransactionOrigin: null,
      },
      true,
    );
    expect(failNext.value).toBe(false); // the failing store really ran
    expect(a.stores).toEqual([]);
    await conn.disconnect();
    expect(a.stores).toEqual(['u/x/workspace']);
    expect(await read(counted(file).hocuspocus, 'u/x/workspace')).toEqual({ k: 1 });
  });

  it('[V1] says a document is unstored from its change until a store of it succeeds: while the store runs, and after one failed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ov-store-')), 'db.sqlite');
    const storage = new SqliteStorage(file);
    open.push(storage);
    const store = storage.storeDocument.bind(storage);
    let gate: Promise<void> = Promise.resolve();
    let fail = false;
    storage.storeDocument = async (name, state) => {
      await gate;
      if (fail) throw new Error('the database is down');
      return store(name, state);
    };
    const extension = storageExtension(storage);
    const h = new Hocuspocus({ quiet: true, extensions: [extension] });
    const conn = await h.openDirectConnection('u/x/workspace');
    const document = conn.document!;
    const storeNow = () =>
      h.storeDocumentHooks(
        document,
        {
          clientsCount: 1,
          document,
          documentName: 'u/x/workspace',
          instance: h,
          lastContext: {},
          lastTransactionOrigin: null,
        },
        true,
      );
    expect(extension.unstored(document)).toBe(false); // as loaded
    await conn.transact((doc: Y.Doc) => doc.getMap('m').set('k', 1));
    expect(extension.unstored(document)).toBe(true);
    let open_!: () => void;
    gate = new Promise((r) => (open_ = r));
    const storing = storeNow();
    await new Promise((r) => setTimeout(r, 20));
    expect(extension.unstored(document)).toBe(true); // in flight
    open_();
    await storing;
    expect(extension.unstored(document)).toBe(false);
    fail = true;
    await conn.transact((doc: Y.Doc) => doc.getMap('m').set('k', 2));
    await storeNow().catch(() => {});
    expect(extension.unstored(document)).toBe(true); // failed: kept, retried
    fail = false;
    await storeNow();
    expect(extension.unstored(document)).toBe(false);
    await conn.disconnect();
  });
});
