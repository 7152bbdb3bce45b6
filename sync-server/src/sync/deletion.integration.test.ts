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
  deletionsArray,
  prepareLogDocName,
  removeEnvironmentCascade,
  runOutputDocName,
  changesDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer | undefined;
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await server?.dispose();
  server = undefined;
});

const connect = (name: string, token: string) => {
  const peer = connectPeer(server!.wsUrl, name, token);
  peers.push(peer);
  return peer;
};

/** The document names in the server's SQLite store, read straight from the file. */
function storedNames(prefix: string): string[] {
  const db = new DatabaseSync(join(server!.dataDir, 'openviber.sqlite'), { readOnly: true });
  try {
    return db
      .prepare('SELECT name FROM documents WHERE name >= ? AND name < ? ORDER BY name')
      .all(prefix, prefix + '\uffff')
      .map((r) => String(r.name));
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

  it(`keeps the deletions log at MAX_DELETIONS (${MAX_DELETIONS}) entries, newest kept`, async () => {
    server = await spawnServer();
    const user = await signup(server.url);
    const device = connect(workspaceDocName(user.userId), user.token);
    await device.synced;
    const total = MAX_DELETIONS + 200;
    const ids: string[] = [];
    for (let i = 0; i < total; i++) {
      const id = createTask(device.doc, { environmentId: 'env_x', title: `t${i}`, viberId: '' });
      deleteTask(device.doc, id);
      ids.push(id);
    }
    await waitFor(() => deletionsArray(device.doc).length === MAX_DELETIONS, 'the server trimmed the log');
    expect(deletionsArray(device.doc).get(MAX_DELETIONS - 1)).toBe(`t:${ids[total - 1]}`);
    expect(deletionsArray(device.doc).get(0)).toBe(`t:${ids[200]}`);
  }, 60_000);

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
