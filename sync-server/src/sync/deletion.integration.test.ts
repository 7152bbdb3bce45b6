// [D7] Deleting an environment, a task or a Viber removes every document that belongs only to it from
// the store — also when the deletion is an edit of the workspace by a device, not an API call — and
// the server refuses to create those documents again.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { generateKeyPair } from '@openviber/shared/crypto';
import {
  MAX_DELETIONS,
  createTask,
  deleteTask,
  deletionsLogLength,
  deletionsMap,
  getTask,
  listDeletions,
  listTasks,
  patchTask,
  prepareLogDocName,
  removeEnvironmentCascade,
  runOutputDocName,
  changesDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer | undefined;
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.dispose();
  server = undefined;
});

const connect = (name: string, token: string, doc?: Y.Doc) => {
  const peer = connectPeer(server!.wsUrl, name, token, doc);
  peers.push(peer);
  return peer;
};

/** A document's state in the server's SQLite store, read straight from the file (empty when none). */
function storedState(name: string): Uint8Array {
  const db = new DatabaseSync(join(server!.dataDir, 'openviber.sqlite'), { readOnly: true });
  try {
    const row = db.prepare('SELECT state FROM documents WHERE name = ?').get(name);
    return row ? new Uint8Array(row.state as Uint8Array) : new Uint8Array();
  } finally {
    db.close();
  }
}

/** The document names in the server's SQLite store, read straight from the file. */
function storedNames(prefix: string): string[] {
  const db = new DatabaseSync(join(server!.dataDir, 'openviber.sqlite'), { readOnly: true });
  try {
    return (
      db
        // A removed document's row stays as a tombstone, without state, for a day ([D7]).
        .prepare(
          'SELECT name FROM documents WHERE name >= ? AND name < ? AND deleted_at IS NULL ORDER BY name',
        )
        .all(prefix, prefix + '\uffff')
        .map((r) => String(r.name))
    );
  } finally {
    db.close();
  }
}

async function onboard(token: string) {
  const { body: t } = await api(server!.url, 'POST', '/api/vibers/onboarding-tokens', { token });
  const { publicKey } = await generateKeyPair();
  const res = await api(server!.url, 'POST', '/api/vibers/onboard', {
    body: { token: t.token, name: 'box', publicKey },
  });
  return res.body as { viberId: string; authToken: string };
}

/** A user with one environment bound to one Viber, a task, and every document they own written. */
async function world() {
  const user = await signup(server!.url);
  const viber = await onboard(user.token);
  const env = await api(server!.url, 'POST', '/api/environments', {
    token: user.token,
    body: { name: 'api', type: 'manual' },
  });
  const binding = await api(server!.url, 'POST', `/api/environments/${env.body.id}/bindings`, {
    token: user.token,
    body: { viberId: viber.viberId, strategy: 'clone' },
  });
  const task = await api(server!.url, 'POST', '/api/tasks', {
    token: user.token,
    body: { environmentId: env.body.id, title: 't' },
  });
  await api(server!.url, 'POST', `/api/tasks/${task.body.id}/messages`, {
    token: user.token,
    body: { text: 'ls' },
  });
  const names = {
    task: taskDocName(user.userId, task.body.id),
    run: runOutputDocName(user.userId, viber.viberId, task.body.id),
    changes: changesDocName(user.userId, viber.viberId, task.body.id),
    prepare: prepareLogDocName(user.userId, viber.viberId, binding.body.id),
    viber: viberDocName(user.userId, viber.viberId),
  };
  // The Viber writes its own documents, as its daemon would.
  const viberPeers = [names.run, names.changes, names.prepare, names.viber].map((n) =>
    connect(n, viber.authToken),
  );
  await Promise.all(viberPeers.map((p) => p.synced));
  for (const p of viberPeers) p.doc.getMap('test').set('written', 'by the Viber');
  await waitFor(() => viberPeers.every((p) => !p.provider.hasUnsyncedChanges), 'Viber edits applied');
  await waitFor(
    () => Object.values(names).every((n) => storedNames(`u/${user.userId}/`).includes(n)),
    'every document stored',
  );
  return { user, viber, envId: env.body.id as string, taskId: task.body.id as string, names, viberPeers };
}

describe('[D7] deletion removes documents from the store', () => {
  it('an environment deleted by a device editing the workspace: its task, run output and prepare log go; reconnecting is refused', async () => {
    server = await spawnServer();
    const w = await world();
    const device = connect(workspaceDocName(w.user.userId), w.user.token);
    await device.synced;
    removeEnvironmentCascade(device.doc, w.envId);

    await waitFor(() => {
      const left = storedNames(`u/${w.user.userId}/`);
      return ![w.names.task, w.names.run, w.names.changes, w.names.prepare].some((n) => left.includes(n));
    }, 'the deleted environment’s documents removed from the store');
    expect(storedNames(`u/${w.user.userId}/`)).toEqual(
      [workspaceDocName(w.user.userId), w.names.viber].sort(),
    );
    // The deletion itself was stored first (not left to the 2 s debounce): a crash now would not
    // leave tombstones under an environment the stored workspace still lists.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, storedState(workspaceDocName(w.user.userId)));
    expect(listDeletions(stored).map((d) => d.id)).toContain(w.envId);

    // The Viber's open run-output connection was closed; opening it again is refused, so it is never
    // stored again (nothing reappears after a restart either).
    const again = connect(w.names.run, w.viber.authToken);
    await waitFor(() => again.authFailure(), 'reconnecting to a deleted task’s run output refused');
    const taskAgain = connect(w.names.task, w.user.token);
    await waitFor(() => taskAgain.authFailure(), 'opening the deleted task refused');
    await server.restart();
    expect(storedNames(`u/${w.user.userId}/`)).not.toContain(w.names.run);
    expect(storedNames(`u/${w.user.userId}/`)).not.toContain(w.names.task);
  }, 60_000);

  it('DELETE /api/tasks/:id removes the task and its documents before answering; 404 for an unknown task', async () => {
    server = await spawnServer();
    const w = await world();
    const res = await api(server.url, 'DELETE', `/api/tasks/${w.taskId}`, { token: w.user.token });
    expect(res).toMatchObject({ status: 200, body: { deleted: true } });
    const left = storedNames(`u/${w.user.userId}/`);
    expect(left).not.toContain(w.names.task);
    expect(left).not.toContain(w.names.run);
    expect(left).toContain(w.names.prepare);
    const tasks = await api(server.url, 'GET', '/api/tasks', { token: w.user.token });
    expect(tasks.body).toEqual([]);
    expect((await api(server.url, 'DELETE', `/api/tasks/${w.taskId}`, { token: w.user.token })).status).toBe(
      404,
    );
    expect((await api(server.url, 'GET', `/api/tasks/${w.taskId}`, { token: w.user.token })).status).toBe(
      404,
    );
  }, 60_000);

  it('DELETE /api/vibers/:id removes the Viber’s document and all its sub-documents', async () => {
    server = await spawnServer();
    const w = await world();
    const res = await api(server.url, 'DELETE', `/api/vibers/${w.viber.viberId}`, { token: w.user.token });
    expect(res.status).toBe(200);
    const left = storedNames(`u/${w.user.userId}/`);
    expect(left.filter((n) => n.startsWith(w.names.viber))).toEqual([]);
    expect(left).toContain(w.names.task);
  }, 60_000);

  it(`[D9] keeps the deletions log at MAX_DELETIONS (${MAX_DELETIONS}) entries, newest kept, and stores nothing else of the deleted: a stale device and a restart bring none of it back`, async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const name = workspaceDocName(user.userId);
    const device = connect(name, user.token);
    await device.synced;
    const early = Array.from({ length: 5 }, (_, i) =>
      createTask(device.doc, { environmentId: 'env_x', title: `early ${i}`, viberId: '' }),
    );
    // A second device that holds the early tasks, then goes offline.
    const staleDoc = new Y.Doc();
    const staleFirst = connect(name, user.token);
    await staleFirst.synced;
    await waitFor(() => getTask(staleFirst.doc, early[4]!) !== null, 'the stale device has the tasks');
    Y.applyUpdate(staleDoc, Y.encodeStateAsUpdate(staleFirst.doc));
    staleFirst.destroy();

    const total = MAX_DELETIONS + 200;
    for (const id of early) deleteTask(device.doc, id);
    for (let i = early.length; i < total; i++)
      deleteTask(device.doc, createTask(device.doc, { environmentId: 'env_x', title: `t${i}`, viberId: '' }));
    // Oldest first by (time, key), as trimDeletions orders them: the newest MAX_DELETIONS stay.
    const entries = [...deletionsMap(device.doc).entries()].sort(
      ([a, x], [b, y]) => (x as number) - (y as number) || (a < b ? -1 : 1),
    );
    const newest = entries.slice(-MAX_DELETIONS).map(([key]) => key);
    await waitFor(() => deletionsLogLength(device.doc) === MAX_DELETIONS, 'the server trimmed the log');
    expect([...deletionsMap(device.doc).keys()].sort()).toEqual([...newest].sort());

    // What the store may hold: the kept entries, and the deleted ranges between them (a few bytes
    // each while an entry separates them). Without compaction it held ~100 KB here.
    const reference = new Y.Doc();
    for (const [key, at] of entries.slice(-MAX_DELETIONS)) deletionsMap(reference).set(key, at);
    const allowed = Y.encodeStateAsUpdate(reference).length + 8 * MAX_DELETIONS + 2_048;
    await waitFor(() => storedState(name).length < allowed, 'the stored workspace compacted', 30_000);

    // The stale device comes back having edited a deleted task; a restart in between.
    await server.kill();
    patchTask(staleDoc, early[0]!, { title: 'edited while offline' });
    await server.restart();
    const stale = connect(name, user.token, staleDoc);
    await stale.synced;
    const fresh = connect(name, user.token);
    await fresh.synced;
    await waitFor(() => device.provider.isSynced, 'the device is back');
    for (const doc of [stale.doc, fresh.doc, device.doc]) {
      await waitFor(() => listTasks(doc).length === 0, 'no deleted task is back');
      expect(deletionsLogLength(doc)).toBe(MAX_DELETIONS);
    }
    await new Promise((r) => setTimeout(r, 2_500)); // past the store's debounce
    expect(storedState(name).length).toBeLessThan(allowed);
  }, 90_000);

  it('a deletion the server never collected (kill -9 right after it) is collected when the workspace loads again', async () => {
    server = await spawnServer();
    const w = await world();
    for (const p of w.viberPeers) p.destroy();
    const device = connect(workspaceDocName(w.user.userId), w.user.token);
    await device.synced;
    await server.kill();
    removeEnvironmentCascade(device.doc, w.envId); // made offline
    await server.restart();
    await waitFor(() => !storedNames(`u/${w.user.userId}/`).includes(w.names.run), 'collected after restart');
    expect(storedNames(`u/${w.user.userId}/`)).not.toContain(w.names.task);
    expect(storedNames(`u/${w.user.userId}/`)).not.toContain(w.names.prepare);
  }, 60_000);
});
