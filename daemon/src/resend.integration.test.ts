// [V1] What the Viber wrote reaches the server even when nothing opens that document again: when
// the server dies after acknowledging it and before storing it, when the server is down as the
// document closes, when the daemon restarts before the server is back. A document with a change
// the server may lack is marked on the Viber's disk and re-sent at each connect, until the server
// had it long enough to store it (Connection.resendPending, local-doc-store.ts).
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { MAX_STORE_DELAY_MS, runOutputDocName } from '@openviber/shared';
import { Connection } from './connection.ts';
import { listPendingDocs } from './local-doc-store.ts';
import { boundViber } from '../test/bound-viber.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { userPeer } from '../test/user-peer.ts';
import { waitFor } from '../test/wait-for.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('re-sending what the server may have lost', async () => {
  const server = await useServer();
  // Onboarded only: these tests drive the Viber's Connection themselves.
  const { user, userId, viberId, authToken, newTask } = await boundViber(server.url, 'resend');
  /** A new task's run output document (the server lets a Viber write one of a task it knows). */
  const newName = async () => {
    const task = await newTask('resend');
    return runOutputDocName(userId, viberId, task.id);
  };

  /** What the server holds of `name`, read by a device that never had it open. */
  const onServer = async (name: string) => {
    const peer = userPeer(server.wsUrl, user.token);
    try {
      return ((await peer.doc(name)) as Y.Doc).getMap('m').toJSON();
    } finally {
      peer.destroy();
    }
  };
  const serverHas = (name: string, expected: Record<string, unknown>) =>
    waitFor(async () => JSON.stringify(await onServer(name)) === JSON.stringify(expected), {
      what: `the server to hold ${JSON.stringify(expected)} in ${name}`,
      timeoutMs: 30_000,
    });

  /** What each test opened (connections, watching devices), closed after it whatever it did. */
  const opens: { destroy(): void }[] = [];
  afterEach(() => opens.splice(0).forEach((o) => o.destroy()));
  const closedAfterTest = <T extends { destroy(): void }>(o: T) => (opens.push(o), o);

  /** The Viber's connection, its documents kept under `dir` (what the daemon makes at start). */
  const viberConnection = (dir: string) => {
    const conn = closedAfterTest(new Connection(server.url, authToken));
    conn.resendPending(dir);
    return conn;
  };
  /** A device of the user's, holding what it reads open on the server. */
  const watcher = () => closedAfterTest(userPeer(server.wsUrl, user.token));

  /** A document of the Viber's, open, synced, kept under `dir`. */
  const opened = async (conn: Connection, dir: string) => {
    const name = await newName();
    const open = conn.open(name, { localDir: dir });
    await open.synced;
    return { name, map: open.doc.getMap('m') };
  };

  /**
   * A run's last change, acknowledged, its document closed at once; a device watching the run keeps
   * the document loaded on the server (a close by the last peer would have it stored at once) and
   * reads Viber documents only, so it cannot give the change back.
   */
  const closedAfterAck = async (conn: Connection, dir: string, device: ReturnType<typeof userPeer>) => {
    const { name, map } = await opened(conn, dir);
    await device.doc(name);
    map.set('end', 'completed');
    await waitFor(() => !conn.isUnsynced(name), { what: 'the acknowledgement' });
    conn.close(name);
    return name;
  };

  it('[V1] closed once acknowledged, then the server is killed before it stored the change: the restarted server gets it, nothing opening the document again', async () => {
    const dir = tempDir();
    const name = await closedAfterAck(viberConnection(dir), dir, watcher());
    // The fault's timing, not a wait for a condition: inside the server's store debounce (2 s).
    await sleep(300);
    await server.kill();
    await server.restart();
    await serverHas(name, { end: 'completed' });
  });

  it('[V1] the server freezes after acknowledging (no close reaches the Viber) for longer than it takes to store, then dies: the marker stayed, the change comes back', async () => {
    const dir = tempDir();
    const conn = viberConnection(dir);
    const name = await closedAfterAck(conn, dir, watcher());
    // A machine that loses power or a frozen process: the socket looks open, nothing answers.
    process.kill(server.pid, 'SIGSTOP');
    try {
      await sleep(MAX_STORE_DELAY_MS + 3_000);
      expect(conn.socketConnected).toBe(true);
      expect(listPendingDocs(dir)).toEqual([name]);
    } finally {
      await server.kill(); // SIGKILL ends a stopped process too
    }
    await server.restart();
    await serverHas(name, { end: 'completed' });
  }, 60_000);

  it('[V1] written and closed while the server is down: re-sent once it is back', async () => {
    const dir = tempDir();
    const conn = viberConnection(dir);
    const { name, map } = await opened(conn, dir);
    await server.kill();
    await waitFor(() => !conn.socketConnected, { what: 'the Viber to see the server gone' });
    map.set('line', 'written offline');
    conn.close(name);
    expect(listPendingDocs(dir)).toEqual([name]);
    await server.restart();
    await serverHas(name, { line: 'written offline' });
  });

  it('[V1] the daemon restarts before the server is back: its new connection re-sends the change', async () => {
    const dir = tempDir();
    const first = new Connection(server.url, authToken);
    const { name, map } = await opened(first, dir);
    await server.kill();
    map.set('run', 'ended during the outage');
    first.destroy(); // the daemon stops (SIGTERM or a crash: the marker is on disk either way)
    await server.restart();
    viberConnection(dir);
    await serverHas(name, { run: 'ended during the outage' });
  });

  it('[V1] a close waits for the acknowledgement of a change still in flight; the marker goes once the server says the change is stored', async () => {
    const dir = tempDir();
    const conn = viberConnection(dir);
    // The daemon always holds its own document open: questions go through a document held open.
    const held = await opened(conn, dir);
    const names = [];
    for (let i = 0; i < 20; i++) {
      const { name, map } = await opened(conn, dir);
      map.set('i', i);
      conn.close(name); // at once: the update is still in flight
      names.push(name);
    }
    await waitFor(() => listPendingDocs(dir).length === 0, { what: 'every marker cleared' });
    expect(conn.size).toBe(1);
    conn.close(held.name);
    for (const [i, name] of names.entries()) expect(await onServer(name)).toEqual({ i });
    // Nothing left to re-send: a reconnect opens no document.
    await server.kill();
    await server.restart();
    await waitFor(() => conn.socketConnected, { what: 'the reconnect' });
    await sleep(500);
    expect(conn.size).toBe(0);
  });

  it('[V1] a document the server refuses to take back is not retried in a loop: closed until the next connect, its copy kept', async () => {
    const dir = tempDir();
    // A marked copy of a document the server no longer takes (its task deleted, say): refused.
    const foreign = runOutputDocName(userId, viberId, 'tsk_never_created');
    const other = new Connection(server.url, 'not-a-token');
    other.open(foreign, { localDir: dir }).doc.getMap('m').set('k', 'v');
    other.destroy();
    expect(listPendingDocs(dir)).toEqual([foreign]);
    const refused: string[] = [];
    const conn = closedAfterTest(
      new Connection(server.url, authToken, { onAuthFailed: (name) => refused.push(name) }),
    );
    let opened = 0;
    const open = conn.open.bind(conn);
    conn.open = (name, options) => (name === foreign && opened++, open(name, options));
    conn.resendPending(dir);
    await waitFor(() => opened > 0 && conn.size === 0, { what: 'the refused re-send to be closed' });
    await sleep(1_000);
    expect(opened).toBe(1);
    // Not a refusal of the Viber's token: the daemon must not stop for it.
    expect(refused).toEqual([]);
    expect(listPendingDocs(dir)).toEqual([foreign]);
  });
});
