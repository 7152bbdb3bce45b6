// [S2] [S3] The access matrix over real websockets: every principal × every document kind × read and write.
import { generateKeyPair } from '@openviber/shared/crypto';
import { Access, accessFor, type Principal, type UserId, type ViberId } from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

let server: SpawnedServer;
const peers: Peer[] = [];
const connect = (name: string, token: string) => {
  const peer = connectPeer(server.wsUrl, name, token);
  peers.push(peer);
  return peer;
};

async function onboardViber(token: string, name: string) {
  const { body: t } = await api(server.url, 'POST', '/api/vibers/onboarding-tokens', { token });
  const { publicKey } = await generateKeyPair();
  const res = await api(server.url, 'POST', '/api/vibers/onboard', {
    body: { token: t.token, name, publicKey },
  });
  expect(res.status).toBe(201);
  return res.body as { viberId: string; userId: string; authToken: string };
}

interface Actor {
  label: string;
  token: string;
  principal: Principal;
}
let actors: Actor[];
let docs: Record<string, string>;
let alice: { token: string; userId: string };

beforeAll(async () => {
  server = await spawnServer();
  alice = await signup(server.url);
  const bob = await signup(server.url);
  const aliceViber = await onboardViber(alice.token, 'alice-laptop');
  const bobViber = await onboardViber(bob.token, 'bob-box');
  const u = alice.userId;
  // [S10] run and prepare documents exist only for a task and a binding the workspace holds.
  const call = (path: string, body: unknown) => api(server.url, 'POST', path, { token: alice.token, body });
  const env = (await call('/api/environments', { name: 'env', type: 'manual' })).body as { id: string };
  const task = (await call('/api/tasks', { environmentId: env.id })).body as { id: string };
  const binding = (
    await call(`/api/environments/${env.id}/bindings`, {
      viberId: aliceViber.viberId,
      strategy: 'existing',
      existingPath: '/tmp',
    })
  ).body as { id: string };
  docs = {
    workspace: `u/${u}/workspace`,
    task: `u/${u}/task/${task.id}`,
    viber: `u/${u}/viber/${aliceViber.viberId}`,
    prepareLog: `u/${u}/viber/${aliceViber.viberId}/prepare/${binding.id}`,
    runOutput: `u/${u}/viber/${aliceViber.viberId}/run/${task.id}`,
  };
  actors = [
    { label: 'user', token: alice.token, principal: { kind: 'user', userId: u as UserId } },
    { label: 'other user', token: bob.token, principal: { kind: 'user', userId: bob.userId as UserId } },
    {
      label: "user's Viber",
      token: aliceViber.authToken,
      principal: { kind: 'viber', userId: u as UserId, viberId: aliceViber.viberId as ViberId },
    },
    {
      label: "other user's Viber",
      token: bobViber.authToken,
      principal: { kind: 'viber', userId: bob.userId as UserId, viberId: bobViber.viberId as ViberId },
    },
  ];
  // Seed each document through its rightful writer so readers have something to see.
  for (const name of Object.values(docs)) {
    const writer = accessFor(actors[0].principal, name) === Access.readWrite ? actors[0] : actors[2];
    const peer = connect(name, writer.token);
    await peer.synced;
    peer.doc.getMap('seed').set('marker', name);
    await waitFor(() => !peer.provider.hasUnsyncedChanges, `seed of ${name} stored`);
    peer.destroy();
  }
});

afterAll(async () => {
  for (const p of peers) p.destroy();
  await server?.dispose();
});

describe('[S2] [S3] access matrix over real websockets', () => {
  it('each principal reads, writes or is refused each document exactly as accessFor says, and dropped writes never persist', async () => {
    const expectations: { name: string; actor: Actor; access: Access; peer: Peer }[] = [];
    for (const name of Object.values(docs)) {
      for (const actor of actors) {
        expectations.push({
          name,
          actor,
          access: accessFor(actor.principal, name),
          peer: connect(name, actor.token),
        });
      }
    }
    // Sanity: the matrix really contains every kind of answer.
    expect(new Set(expectations.map((e) => e.access))).toEqual(
      new Set([Access.readWrite, Access.readOnly, Access.refused]),
    );

    for (const e of expectations) {
      if (e.access === Access.refused) {
        await waitFor(() => e.peer.authFailure(), `${e.actor.label} refused on ${e.name}`);
        expect(
          e.peer.doc.getMap('seed').get('marker'),
          `${e.actor.label} must not read ${e.name}`,
        ).toBeUndefined();
      } else {
        await e.peer.synced;
        expect(e.peer.doc.getMap('seed').get('marker'), `${e.actor.label} reads ${e.name}`).toBe(e.name);
      }
    }
    // Every connected peer tries to write.
    for (const e of expectations) e.peer.doc.getMap('probe').set(e.actor.label, true);
    for (const e of expectations) {
      if (e.access === Access.readWrite)
        await waitFor(
          () => !e.peer.provider.hasUnsyncedChanges,
          `${e.actor.label} write to ${e.name} applied`,
        );
      if (e.access === Access.readOnly)
        await waitFor(() => e.peer.refusedUpdates() > 0, `${e.actor.label} write to ${e.name} refused`);
    }
    // [S3] not relayed: a live reader sees only the rightful writes.
    for (const name of Object.values(docs)) {
      const live = connect(name, alice.token);
      await live.synced;
      const writers = expectations
        .filter((e) => e.name === name && e.access === Access.readWrite)
        .map((e) => e.actor.label);
      expect([...live.doc.getMap('probe').keys()].sort()).toEqual(writers.sort());
    }
    for (const p of peers.splice(0)) p.destroy();

    // [S3] not stored: after a restart a fresh peer sees only the rightful writes.
    await server.restart();
    for (const name of Object.values(docs)) {
      const fresh = connect(name, alice.token);
      await fresh.synced;
      const writers = expectations
        .filter((e) => e.name === name && e.access === Access.readWrite)
        .map((e) => e.actor.label);
      expect([...fresh.doc.getMap('probe').keys()].sort(), `stored probes of ${name}`).toEqual(
        writers.sort(),
      );
      expect(fresh.doc.getMap('seed').get('marker')).toBe(name);
    }
  });

  it('[S1] unknown document names and bad tokens are refused', async () => {
    for (const name of [`u/${alice.userId}/secrets`, 'workspace', `u/${alice.userId}/task/../workspace`]) {
      const peer = connect(name, alice.token);
      await waitFor(() => peer.authFailure(), `refusal of ${name}`);
    }
    const bad = connect(docs.workspace, 'not-a-token');
    await waitFor(() => bad.authFailure(), 'refusal of a bad token');
  });
});
