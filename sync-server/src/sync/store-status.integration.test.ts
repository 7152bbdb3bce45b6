// [V1] The server's answer to "stored?": a change is named unstored until it is in storage, a
// document the asker may not read is always named unstored (nothing about another user's documents
// leaks), and a payload that is not a question gets no answer.
import { afterAll, describe, expect, it } from 'vitest';
import { taskDocName, workspaceDocName } from '@openviber/shared';
import { connectPeer, signup, storeQuestions, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer } from '../../testing/spawn-server.ts';

describe('stored? answers', async () => {
  const server = await spawnServer();
  afterAll(() => server.dispose());
  const peers: Peer[] = [];
  afterAll(() => peers.forEach((p) => p.destroy()));

  /** A synced peer of `name` whose stateless answers are collected. */
  const asker = async (name: string, token: string) => {
    const p = connectPeer(server.wsUrl, name, token);
    peers.push(p);
    await p.synced;
    const { ask, answers } = storeQuestions(p);
    return { peer: p, ask, answers };
  };

  it('[V1] an acknowledged change is unstored until the store (debounced) ran, then stored; a closed document is stored', async () => {
    const user = await signup(server.url);
    const { peer, ask } = await asker(workspaceDocName(user.userId), user.token);
    const task = taskDocName(user.userId, 'tsk_stored');
    const writer = connectPeer(server.wsUrl, task, user.token);
    peers.push(writer);
    await writer.synced;
    writer.doc.getMap('m').set('k', 'v');
    await waitFor(() => !writer.provider.hasUnsyncedChanges, 'the acknowledgement');
    expect(await ask([task])).toEqual([task]); // in memory only: the store waits 2 s
    await waitFor(async () => (await ask([task])).length === 0, 'the store', 10_000);
    writer.doc.getMap('m').set('k', 'w');
    await waitFor(() => !writer.provider.hasUnsyncedChanges, 'the second acknowledgement');
    expect(await ask([task])).toEqual([task]);
    writer.destroy(); // the last peer leaving stores it and unloads it
    await waitFor(async () => (await ask([task])).length === 0, 'the store at unload', 10_000);
    expect(peer.authFailure()).toBeNull();
  });

  it("[V1] another user's documents and names that are no documents are always named unstored; other payloads get no answer", async () => {
    const user = await signup(server.url);
    const other = await signup(server.url);
    const { peer, ask, answers } = await asker(workspaceDocName(user.userId), user.token);
    const foreign = [
      workspaceDocName(other.userId),
      taskDocName(other.userId, 'tsk_x'),
      'not a document',
      '__proto__',
    ];
    expect(await ask(foreign)).toEqual(foreign);
    expect(await ask([taskDocName(user.userId, 'tsk_never_written')])).toEqual([]);
    for (const payload of [
      'hello',
      '{"t":"stored?","id":"x","docs":[]}',
      JSON.stringify({ t: 'stored?', id: 9, docs: Array(201).fill('x') }),
    ])
      peer.provider.sendStateless(payload);
    const before = answers.length;
    await ask([]); // answered in order: the payloads before it were read and ignored
    expect(answers.length).toBe(before + 1);
  });
});
