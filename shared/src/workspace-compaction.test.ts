// [D9] Compacting what deletions leave: the workspace stops growing per deletion, and a compacted
// copy keeps merging with every other copy — stale, offline, uncompacted or hostile — to one state.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { ViberId } from './ids.ts';
import { environmentCreateSchema } from './schemas.ts';
import { createBinding, listBindings } from './workspace-bindings.ts';
import { compactDeletedKeys } from './workspace-compaction.ts';
import { deletionsMap, listDeletions, trimDeletions } from './workspace-deletions.ts';
import {
  createEnvironment,
  environmentsMap,
  getEnvironment,
  patchEnvironment,
} from './workspace-environments.ts';
import { createTask, listTasks } from './workspace-tasks.ts';
import { getViber, upsertViber } from './workspace-vibers.ts';
import { removeEnvironmentCascade, removeViberCascade } from './workspace.ts';

const size = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc).length;
const envInput = (name: string, script = 'npm ci') =>
  environmentCreateSchema.parse({ name, type: 'manual', setupMode: 'manual', setupScript: script });

/** An environment with a binding and a task, as the app creates them. */
function populate(doc: Y.Doc, name = 'web', script?: string) {
  const env = createEnvironment(doc, envInput(name, script));
  createBinding(doc, env, { viberId: 'vbr_1', strategy: 'clone' });
  createTask(doc, { environmentId: env, title: `task of ${name}`, viberId: 'vbr_1' });
  return env;
}

/** Everything both copies hold, exchanged both ways (a sync step 1 and 2 each way). */
function sync(a: Y.Doc, b: Y.Doc) {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
}

const copyOf = (doc: Y.Doc) => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};

/** A "server": compacts as the sync server does at each store, and relays its own integrated updates. */
function relayingServer(from: Y.Doc, ...to: Y.Doc[]) {
  const server = copyOf(from);
  server.on('update', (update: Uint8Array, origin: unknown) => {
    for (const peer of to) if (peer !== origin) Y.applyUpdate(peer, update, server);
  });
  return server;
}

const content = (doc: Y.Doc) => ({
  environments: environmentsMap(doc).toJSON(),
  bindings: doc.getMap('bindings').toJSON(),
  tasks: doc.getMap('tasks').toJSON(),
  vibers: doc.getMap('vibers').toJSON(),
  deletions: listDeletions(doc),
});

const PUBLIC_KEY = Buffer.alloc(32, 7).toString('base64');
const VIBER = 'vbr_1' as ViberId;

describe('[D9] compacting deleted keys', () => {
  it('each further deletion costs nothing for good once the log is at its bound, whatever the entity held', () => {
    const perDeletion = (script: string, compact: boolean) => {
      const doc = new Y.Doc();
      const cycle = () => {
        removeEnvironmentCascade(doc, populate(doc, 'web', script));
        trimDeletions(doc, 50);
        if (compact) compactDeletedKeys(doc);
      };
      for (let i = 0; i < 60; i++) cycle(); // past the (here small) bound of the deletions log
      const before = size(doc);
      for (let i = 0; i < 300; i++) cycle();
      return (size(doc) - before) / 300;
    };
    expect(perDeletion('npm ci', true)).toBeLessThan(1);
    expect(perDeletion('echo setup; '.repeat(400), true)).toBeLessThan(1);
    // Without it, each deletion leaves its keys' items (this test fails if compaction does nothing).
    expect(perDeletion('npm ci', false)).toBeGreaterThan(100);
  });

  it('changes what the document holds in no way a reader sees, and a copy loaded from it compacts no further', () => {
    const doc = new Y.Doc();
    const kept = populate(doc, 'kept');
    for (let i = 0; i < 30; i++) removeEnvironmentCascade(doc, populate(doc, `gone ${i}`));
    trimDeletions(doc, 10);
    const twin = copyOf(doc);
    const before = size(doc);
    expect(compactDeletedKeys(doc)).toBe(30 * 3 + 80); // 30 × (environment, binding, task), 80 trimmed entries
    expect(size(doc)).toBeLessThan(before / 3);
    expect(content(doc)).toEqual(content(twin));
    expect(getEnvironment(doc, kept)?.name).toBe('kept');
    const loaded = copyOf(doc);
    expect(compactDeletedKeys(loaded)).toBe(0);
    expect(Y.encodeStateAsUpdate(loaded)).toEqual(Y.encodeStateAsUpdate(doc));
    // Live entities and a log under its bound: nothing to do, not a byte changed.
    const live = new Y.Doc();
    for (let i = 0; i < 20; i++) populate(live, `env ${i}`);
    const bytes = Y.encodeStateAsUpdate(live);
    expect(compactDeletedKeys(live)).toBe(0);
    expect(Y.encodeStateAsUpdate(live)).toEqual(bytes);
  });

  it('does nothing inside a transaction (Yjs still holds the items there)', () => {
    const doc = new Y.Doc();
    removeEnvironmentCascade(doc, populate(doc));
    trimDeletions(doc, 0);
    doc.transact(() => expect(compactDeletedKeys(doc)).toBe(0));
    expect(compactDeletedKeys(doc)).toBe(6); // 3 entities, 3 log entries
  });

  it('a compacted server, an uncompacted device and a stale offline device converge, the stale edits to deleted entities dropped alike', () => {
    const app = new Y.Doc();
    const doomed = populate(app, 'doomed');
    const stale = copyOf(app); // goes offline now, holding the environment
    const phone = copyOf(app); // stays online, never compacts
    const server = relayingServer(app, phone);
    sync(app, server);
    removeEnvironmentCascade(app, doomed);
    trimDeletions(app, 0);
    sync(app, server);
    expect(compactDeletedKeys(server)).toBe(6); // 3 entities + their 3 trimmed log entries

    // Offline, the stale device edits the deleted environment, creates one and deletes another.
    patchEnvironment(stale, doomed, { name: 'renamed while offline', setupScript: 'make' });
    const created = populate(stale, 'made offline');
    const other = populate(stale, 'made and deleted offline');
    removeEnvironmentCascade(stale, other);
    sync(stale, server); // reconnects; the server relays what it integrated to the phone
    sync(phone, server);
    sync(app, server);

    for (const doc of [server, phone, stale, app]) {
      expect(getEnvironment(doc, doomed)).toBeUndefined();
      expect(getEnvironment(doc, created)?.name).toBe('made offline');
      expect(listDeletions(doc).map((d) => d.id)).toContain(other);
      expect(content(doc)).toEqual(content(server));
    }
    expect(listTasks(server)).toHaveLength(1);
    expect(listBindings(server)).toHaveLength(1);
  });

  it('a hostile write naming a compacted key resurrects nothing on the server or on the devices it relays to', () => {
    const app = new Y.Doc();
    const doomed = populate(app, 'doomed');
    removeEnvironmentCascade(app, doomed);
    trimDeletions(app, 0);
    const hostile = copyOf(app); // holds the full deleted items
    const phone = copyOf(app);
    const server = relayingServer(app, phone);
    compactDeletedKeys(server);
    // Writes the deleted environment's key again: Yjs names the deleted item as its origin.
    hostile.transact(() => {
      const map = new Y.Map<unknown>();
      environmentsMap(hostile).set(doomed, map);
      map.set('name', 'back from the dead');
      map.set('type', 'manual');
    });
    expect(getEnvironment(hostile, doomed)).toBeDefined();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(hostile, Y.encodeStateVector(server)), hostile);
    expect(getEnvironment(server, doomed)).toBeUndefined();
    expect(getEnvironment(phone, doomed)).toBeUndefined(); // the phone got the server's form of it
    expect(content(phone)).toEqual(content(server));
    const fresh = copyOf(server);
    expect(getEnvironment(fresh, doomed)).toBeUndefined();
  });

  it('leaves keys that are written again: a removed Viber registered again, a variable deleted and added again', () => {
    const app = new Y.Doc();
    upsertViber(app, { id: VIBER, name: 'box', publicKey: PUBLIC_KEY, createdAt: 1 });
    const env = createEnvironment(app, { ...envInput('web'), vars: { FOO: '1' } });
    const other = copyOf(app);
    const server = relayingServer(app, other);
    removeViberCascade(app, 'vbr_1');
    patchEnvironment(app, env, { vars: { FOO: null } });
    sync(app, server);
    compactDeletedKeys(server);
    compactDeletedKeys(app);
    // A device that still holds the deleted items writes both keys again.
    sync(other, server);
    upsertViber(other, { id: VIBER, name: 'box again', publicKey: PUBLIC_KEY, createdAt: 2 });
    patchEnvironment(other, env, { vars: { FOO: '2' } });
    sync(other, server);
    sync(app, server);
    for (const doc of [server, app, other]) {
      expect(getViber(doc, 'vbr_1')?.name).toBe('box again');
      expect(getEnvironment(doc, env)?.vars).toEqual({ FOO: '2' });
    }
  });

  it('the log written once per deletion: a trimmed entry compacted never blocks a later deletion of another entity', () => {
    const server = new Y.Doc();
    const device = new Y.Doc();
    for (let i = 0; i < 20; i++) removeEnvironmentCascade(device, populate(device, `e${i}`));
    sync(device, server);
    trimDeletions(server, 0);
    expect(compactDeletedKeys(server)).toBe(120);
    sync(device, server); // the device learns of the trim, keeps the full items
    const late = populate(device, 'late');
    removeEnvironmentCascade(device, late);
    sync(device, server);
    expect(listDeletions(server).map((d) => d.id)).toContain(late);
    expect(deletionsMap(server).size).toBe(3);
  });
});
