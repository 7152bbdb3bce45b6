// [S11a] One user's documents held in a real server's memory, pushed past the limit the way a
// signed-up stranger would (many small entries: the densest content per byte), against another user.
import { readLimitReason, taskDocName } from '@openviber/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPeer, signup, waitFor, type Peer } from '../../testing/peers.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';

const LIMIT = 8 * 1024 * 1024;
let server: SpawnedServer;
const peers: Peer[] = [];
beforeAll(async () => {
  server = await spawnServer({ env: { MAX_LOADED_MEMORY_PER_USER: String(LIMIT) } });
});
afterAll(async () => {
  for (const p of peers) p.destroy();
  await server?.dispose();
});
const peer = (name: string, token: string) => {
  const p = connectPeer(server.wsUrl, name, token);
  peers.push(p);
  return p;
};

/** Writes up to `max` batches of 2,000 small entries, until the server refuses one; returns what it kept. */
async function fill(p: Peer, max = 40): Promise<{ kept: number; refusal: string }> {
  const closed: string[] = [];
  p.provider.on('close', ({ event }: { event: { code: number; reason: string } }) => {
    // The provider the app and the Viber use reports a document the server closed with code 1000:
    // the limit's code travels in the reason, which is how they tell a limit from another close.
    expect(event.code).toBe(1000);
    const limit = readLimitReason(event.reason);
    expect(limit, `a limit's reason: ${event.reason}`).not.toBeNull();
    closed.push(limit!);
  });
  const m = p.doc.getMap('m');
  for (let batch = 0; batch < max; batch++) {
    p.doc.transact(() => {
      for (let i = 0; i < 2_000; i++) m.set(`b${batch}k${i}`, i);
    });
    await waitFor(() => !p.provider.hasUnsyncedChanges || closed.length > 0, 'acknowledged or refused');
    if (closed.length) return { kept: batch, refusal: closed[0] };
  }
  return { kept: max, refusal: '' };
}

describe('[S11a] memory one user may hold on a server', () => {
  it("past the limit a user's change is refused with the reason and another user goes on; closed documents free it; a stored document loaded over it makes the next open refused", async () => {
    const [alice, bob] = [await signup(server.url), await signup(server.url)];
    const a = taskDocName(alice.userId, 'dense-a');
    const writer = peer(a, alice.token);
    await writer.synced;
    const filledA = await fill(writer);
    expect(filledA.refusal).toMatch(
      /too much of this user's data is open on this server: .* at most 8\.0 MiB/,
    );
    expect(filledA.kept).toBeGreaterThan(0);
    expect(filledA.kept).toBeLessThan(40);

    // Alice's documents, not the server: Bob opens and writes at once.
    const other = peer(taskDocName(bob.userId, 'fine'), bob.token);
    await other.synced;
    other.doc.getMap('m').set('hello', 'bob');
    await waitFor(() => !other.provider.hasUnsyncedChanges, "Bob's change acknowledged");

    // The refused peer's document leaves memory once stored: then Alice writes a second one, a
    // third of the limit (held open by another peer of hers, so it stays loaded).
    writer.destroy();
    const b = taskDocName(alice.userId, 'dense-b');
    const holdB = peer(b, alice.token);
    await holdB.synced;
    let filledB = { kept: 0, refusal: '' };
    await waitFor(
      async () => {
        const w = peer(b, alice.token);
        await w.synced;
        filledB = await fill(w, 3);
        w.destroy();
        return filledB.kept === 3;
      },
      'room for a second document once the first was closed',
      30_000,
    );

    // Opening the stored first document loads it past the limit (an open is refused only at it)...
    const holdA = peer(a, alice.token);
    await holdA.synced;
    // ...whose content is every acknowledged batch and nothing of the refused one.
    expect(holdA.doc.getMap('m').size).toBe(filledA.kept * 2_000);
    expect(holdA.doc.getMap('m').has(`b${filledA.kept}k0`)).toBe(false);
    // ...and then a further document is refused to her, with the reason.
    const extra = peer(taskDocName(alice.userId, 'one-more'), alice.token);
    await waitFor(() => extra.authFailure(), 'the refusal');
    expect(readLimitReason(extra.authFailure()!)).toMatch(
      /^too much of this user's data is open on this server/,
    );
    // Over it, reading is not refused: another device of hers syncs a document already loaded.
    const reader = peer(a, alice.token);
    await reader.synced;
    expect(reader.doc.getMap('m').size).toBe(filledA.kept * 2_000);
    // Bob still opens new documents.
    await peer(taskDocName(bob.userId, 'another'), bob.token).synced;
  });
});
