// [S11a] The estimate of what a user's loaded documents take, and the refusals at its limit.
import type { Document } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LoadedMemory, STRUCT_BYTES } from './loaded-memory.ts';
import { QuotaError } from './user-quota.ts';

const MiB = 1024 * 1024;
const asDocument = (doc: Y.Doc) => doc as unknown as Document;
/** A document as storage would hold it: `keys` small map entries. */
function stored(keys: number): Uint8Array {
  const doc = new Y.Doc();
  const m = doc.getMap('m');
  doc.transact(() => {
    for (let i = 0; i < keys; i++) m.set(`k${i}`, i);
  });
  return Y.encodeStateAsUpdate(doc);
}
function load(memory: LoadedMemory, name: string, state?: Uint8Array) {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  memory.loaded(name, asDocument(doc), state?.byteLength ?? 0);
  return doc;
}

describe('[S11a] loaded memory per user', () => {
  it("counts a loaded document's bytes and structs, and every change to it, against its owner only", () => {
    const memory = new LoadedMemory(64 * MiB);
    const state = stored(10_000);
    const doc = load(memory, 'u/alice/task/t1', state);
    expect(memory.usage('alice')).toBe(state.byteLength + STRUCT_BYTES * 10_000);
    const m = doc.getMap('m');
    doc.transact(() => {
      for (let i = 0; i < 1_000; i++) m.set(`new${i}`, i);
    });
    expect(memory.usage('alice')).toBeGreaterThan(state.byteLength + STRUCT_BYTES * 11_000);
    expect(memory.usage('bob')).toBe(0);
    memory.unloaded('u/alice/task/t1');
    expect(memory.usage('alice')).toBe(0);
  });

  it('a document that trims itself (run output) is measured again: 20 MB through it is not 20 MB held', () => {
    const memory = new LoadedMemory(64 * MiB);
    const doc = load(memory, 'u/alice/viber/v1/run/t1');
    const out = doc.getArray<string>('output');
    const chunk = 'x'.repeat(100_000);
    for (let i = 0; i < 200; i++) {
      doc.transact(() => {
        out.push([chunk]);
        if (out.length > 3) out.delete(0, out.length - 3);
      });
    }
    // Kept: 300 KB of text; received: 20 MB. The estimate follows what is held (within a remeasure).
    expect(memory.usage('alice')).toBeLessThan(3 * MiB);
  });

  it('at the limit: a document not loaded is refused to its owner, a change that grows one is refused, others go on', () => {
    const memory = new LoadedMemory(8 * MiB);
    load(memory, 'u/alice/task/big', stored(20_000)); // ~9 MiB estimated
    const opening = () => memory.admitOpen('u/alice/task/another');
    expect(opening).toThrow(QuotaError);
    expect(opening).toThrow(
      /too much of this user's data is open on this server: \d+\.\d MiB in memory, at most 8\.0 MiB \(MAX_LOADED_MEMORY_PER_USER\)/,
    );
    // Already loaded: another peer of the same document is not refused (it adds nothing).
    expect(() => memory.admitOpen('u/alice/task/big')).not.toThrow();
    expect(() => memory.admitUpdate('u/alice/task/big', 100)).toThrow(/this change is refused/);
    // Another user is not affected.
    load(memory, 'u/bob/task/t', stored(100));
    expect(() => memory.admitOpen('u/bob/task/more')).not.toThrow();
    expect(() => memory.admitUpdate('u/bob/task/t', 1_000)).not.toThrow();
    // Closed, it frees its owner.
    memory.unloaded('u/alice/task/big');
    expect(opening).not.toThrow();
  });

  it('a late unload of an old instance does not forget the new one loaded under the same name', () => {
    const memory = new LoadedMemory(64 * MiB);
    load(memory, 'u/alice/task/t', stored(100));
    const second = load(memory, 'u/alice/task/t', stored(200));
    const usage = memory.usage('alice');
    memory.unloaded('u/alice/task/t', asDocument(second)); // the name is loaded again: keep it
    expect(memory.usage('alice')).toBe(usage);
    memory.unloaded('u/alice/task/t');
    expect(memory.usage('alice')).toBe(0);
  });
});
