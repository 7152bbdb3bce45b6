// [V1] The daemon's own copy of its documents on disk: every update appended and fsync'd, rewritten
// as one snapshot now and then. What a full disk or a crash mid-append may do to it.
import { appendFileSync, existsSync, readdirSync, statSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  COMPACT_AFTER_UPDATES,
  clearPending,
  listLocalDocs,
  listPendingDocs,
  persistDoc,
  removeLocalDoc,
} from './local-doc-store.ts';
import { tempDir } from '../test/temp-dir.ts';

const NAME = 'u/usr_1/viber/vbr_1';

function reload(dir: string): Y.Doc {
  const doc = new Y.Doc();
  persistDoc(dir, NAME, doc).detach();
  return doc;
}

describe('local document store', () => {
  it('[V1] a torn last frame is cut off before the next append: updates written after it load again', () => {
    const dir = tempDir();
    const first = new Y.Doc();
    const p = persistDoc(dir, 'u/x/viber/v', first);
    first.getMap('m').set('k1', 'v1');
    first.getMap('m').set('big', 'x'.repeat(50_000));
    p.detach();
    const file = join(dir, 'u.x.viber.v.yupd');
    truncateSync(file, statSync(file).size - 20_000); // the big frame torn: a crash mid-write
    const second = new Y.Doc();
    const q = persistDoc(dir, 'u/x/viber/v', second);
    expect(second.getMap('m').toJSON()).toEqual({ k1: 'v1' });
    second.getMap('m').set('k2', 'v2'); // fsync'd: relied on
    q.detach();
    const third = new Y.Doc();
    persistDoc(dir, 'u/x/viber/v', third).detach();
    expect(third.getMap('m').toJSON()).toEqual({ k1: 'v1', k2: 'v2' });
  });

  it('[V1] keeps every update across a reload; a torn last frame (a crash mid-append) is ignored', () => {
    const dir = tempDir();
    const doc = new Y.Doc();
    const kept = persistDoc(dir, NAME, doc);
    for (let i = 0; i < 10; i++) doc.getMap('m').set(`k${i}`, i);
    kept.detach();
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file), Buffer.from([200, 0, 0, 0, 1, 2])); // a frame cut short
    expect(reload(dir).getMap('m').toJSON()).toEqual(
      Object.fromEntries([...Array(10).keys()].map((i) => [`k${i}`, i])),
    );
  });

  it('[V1] a snapshot that fails (a full disk) loses nothing: updates keep going to the same file', () => {
    const dir = tempDir();
    const doc = new Y.Doc();
    const kept = persistDoc(dir, NAME, doc);
    doc.getMap('m').set('first', 0);
    const [file] = readdirSync(dir);
    // The snapshot's temp copy lands on /dev/full: every write to it fails with ENOSPC.
    const tmp = join(dir, `${file}.${process.pid}.tmp`);
    symlinkSync('/dev/full', tmp);
    const count = COMPACT_AFTER_UPDATES + 50;
    for (let i = 0; i < count; i++) doc.getMap('m').set(`k${i}`, i);
    // Other files opened since must not receive this document's frames (a descriptor reused).
    const other = new Y.Doc();
    const otherKept = persistDoc(dir, 'u/usr_1/task/tsk_1', other);
    doc.getMap('m').set('last', 1);
    otherKept.detach();
    kept.detach();
    expect(existsSync(tmp)).toBe(false);
    const back = reload(dir).getMap('m');
    expect(back.size).toBe(count + 2);
    expect(back.get('last')).toBe(1);
    const otherBack = new Y.Doc();
    persistDoc(dir, 'u/usr_1/task/tsk_1', otherBack).detach();
    expect(otherBack.getMap('m').size).toBe(0);
  });

  it('[V1] a local change marks the document; what the server sent does not; the marker outlives a reload until cleared', () => {
    const dir = tempDir();
    const server = Symbol('provider');
    const doc = new Y.Doc();
    const kept = persistDoc(dir, NAME, doc, { isRemote: (origin) => origin === server });
    doc.transact(() => doc.getMap('m').set('from', 'the server'), server);
    expect(kept.pending).toBe(false);
    expect(listPendingDocs(dir)).toEqual([]);
    doc.getMap('m').set('from', 'the Viber');
    expect(listPendingDocs(dir)).toEqual([NAME]);
    kept.detach();
    const again = new Y.Doc();
    const reloaded = persistDoc(dir, NAME, again);
    expect(reloaded.pending).toBe(true);
    reloaded.detach();
    clearPending(dir, NAME);
    expect(listPendingDocs(dir)).toEqual([]);
    expect(listLocalDocs(dir)).toEqual([NAME]); // only the marker went
    persistDoc(dir, NAME, again).detach();
    const last = new Y.Doc();
    persistDoc(dir, NAME, last).detach();
    expect(last.getMap('m').get('from')).toBe('the Viber');
    // Forgetting the document takes its marker too.
    const marked = new Y.Doc();
    const other = persistDoc(dir, 'u/usr_1/task/tsk_2', marked);
    marked.getMap('m').set('k', 1);
    other.detach();
    removeLocalDoc(dir, 'u/usr_1/task/tsk_2');
    expect(listPendingDocs(dir)).toEqual([]);
  });
});
