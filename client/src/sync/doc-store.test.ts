// The doc store's own state logic, without a browser: real Y.Docs, and in place of the websocket,
// the provider and IndexedDB, stand-ins that do what those do to a document (the provider counts
// local updates as unsynced until the server confirms them; IndexedDB replays its copy with its own
// origin). What is checked: a local edit is remembered until the server confirms it and such
// documents are reopened at the next start until they are; the provider attaches only after the
// local copy loaded; a released document closes later and never with unsent changes; the sync state.
import type { HocuspocusProvider, HocuspocusProviderConfiguration } from '@hocuspocus/provider';
import { WebSocketStatus } from '@hocuspocus/provider';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import {
  LIMIT_CLOSE_CODE,
  limitReason,
  SCHEMA_VERSION,
  createTask,
  deleteTask,
  listDeletions,
  stampDocument,
  trimDeletions,
  taskDocName,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { LIMIT_RETRY_MAX_MS, LIMIT_RETRY_MS, createDocStore, type DocStoreEnv } from './doc-store.ts';

type Listener = (payload?: unknown) => void;

class Emitter {
  #listeners = new Map<string, Set<Listener>>();
  on(event: string, f: Listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(f);
  }
  off(event: string, f: Listener) {
    this.#listeners.get(event)?.delete(f);
  }
  emit(event: string, payload?: unknown) {
    for (const f of [...(this.#listeners.get(event) ?? [])]) f(payload);
  }
}

class FakeSocket extends Emitter {
  status = WebSocketStatus.Connected;
  connects = 0;
  connect() {
    this.connects++;
    return Promise.resolve();
  }
  destroy() {}
  setStatus(status: WebSocketStatus) {
    this.status = status;
    this.emit('status', { status });
  }
}

/** A provider as the store sees one: synced flag, unsynced count, attach, destroy, events. */
class FakeProvider extends Emitter {
  isSynced = false;
  isAttached = false;
  unsyncedChanges = 0;
  destroyed = false;
  readonly doc: Y.Doc;
  constructor(config: HocuspocusProviderConfiguration) {
    super();
    this.doc = config.document!;
    // Like the real provider: its "authenticationFailed" event calls the configured handler.
    const failed = config.onAuthenticationFailed;
    if (failed) this.on('authenticationFailed', (data) => failed(data as { reason: string }));
    // Like the real provider: every update it did not apply itself is a change to send.
    this.doc.on('update', (_u: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      this.unsyncedChanges++;
      this.emit('unsyncedChanges', { number: this.unsyncedChanges });
    });
  }
  get hasUnsyncedChanges() {
    return this.unsyncedChanges > 0;
  }
  attach() {
    this.isAttached = true;
  }
  destroy() {
    this.destroyed = true;
  }
  /** The server's state arrives (applied with the provider as origin) and the document is synced. */
  serverSync(state?: Y.Doc) {
    if (state) Y.applyUpdate(this.doc, Y.encodeStateAsUpdate(state), this);
    this.isSynced = true;
    this.emit('synced', { state: true });
  }
  /** The server acknowledged every change sent. */
  serverAck() {
    this.unsyncedChanges = 0;
    this.emit('unsyncedChanges', { number: 0 });
  }
  disconnect() {
    this.isSynced = false;
  }
  /** Like the real provider: a document the server closed or refused is not authenticated. */
  isAuthenticated = true;
  /** Times the store asked to authenticate this document again. */
  reauthentications = 0;
  sendToken() {
    this.reauthentications++;
    return Promise.resolve();
  }
  startSync() {}
  /** The server closed this document with `reason` (as the real provider reports it). */
  serverClose(reason: string) {
    this.isAuthenticated = false;
    this.isSynced = false;
    this.emit('close', { event: { code: 1000, reason } });
  }
  /** Stateless messages sent (the "stored?" questions, [V1]). */
  readonly sent: string[] = [];
  sendStateless(payload: string) {
    this.sent.push(payload);
  }
}

function setup(stored: Record<string, string> = {}) {
  const storage = new Map(Object.entries(stored));
  const refusals: [string, string][] = [];
  const recovered: string[] = [];
  const socket = new FakeSocket();
  const providers = new Map<string, FakeProvider>();
  const loads = new Map<string, () => void>();
  const confirms = new Map<string, () => void>();
  const idbOrigin = Symbol('indexeddb');
  const onlineListeners = new Set<() => void>();
  let online = true;
  const env: DocStoreEnv = {
    storage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
      removeItem: (k) => void storage.delete(k),
    },
    online: () => online,
    onOnlineChange: (f) => {
      onlineListeners.add(f);
      return () => onlineListeners.delete(f);
    },
    socket: () => socket as never,
    provider: (config) => {
      const p = new FakeProvider(config);
      providers.set(config.name, p);
      return p as unknown as HocuspocusProvider;
    },
    persist: (name, doc) => {
      let resolve!: () => void;
      const loaded = new Promise<void>((r) => (resolve = r));
      loads.set(name, resolve);
      // Like IndexedDB: each local write is pending until its transaction completes (confirmLocal).
      let pending = 0;
      const listeners = new Set<() => void>();
      doc.on('update', (_u: Uint8Array, origin: unknown) => {
        if (origin === idbOrigin) return;
        pending++;
        listeners.forEach((l) => l());
      });
      confirms.set(name, () => {
        pending = 0;
        listeners.forEach((l) => l());
      });
      return {
        origin: idbOrigin,
        loaded,
        pending: () => pending,
        onPendingChange: (l) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
        destroy: () => Promise.resolve(),
      };
    },
  };
  const store = createDocStore(
    {
      url: 'ws://test',
      token: 't',
      userId: 'usr_1',
      onRefused: (name, reason) => void refusals.push([name, reason]),
      onRecovered: (name) => void recovered.push(name),
    },
    env,
  );
  const key = 'openviber.unsynced.usr_1';
  return {
    store,
    socket,
    /** What the store reported refused, by document: [name, reason]. */
    refusals,
    /** Documents the store reported synced again after a limit's refusal. */
    recovered,
    provider: (name: string) => providers.get(name)!,
    /** IndexedDB's copy finished loading. */
    load: async (name: string) => {
      loads.get(name)!();
      await Promise.resolve();
      await Promise.resolve();
    },
    /** IndexedDB completed every write made so far. */
    confirmLocal: (name: string) => confirms.get(name)!(),
    replayFromIndexedDb: (name: string, state: Y.Doc) =>
      Y.applyUpdate(providers.get(name)!.doc, Y.encodeStateAsUpdate(state), idbOrigin),
    pendingNames: (): string[] => JSON.parse(storage.get(key) ?? '[]') as string[],
    /**
     * The server answers the newest "stored?" question (asked within STORE_CHECK_MS): every document
     * asked about is stored except `unstored`. Returns the names asked about.
     */
    async serverStored(unstored: string[] = []): Promise<string[]> {
      await vi.advanceTimersByTimeAsync(1_000);
      const asking = [...providers.values()].filter((p) => p.sent.length);
      const via = asking.at(-1);
      if (!via) return [];
      const q = JSON.parse(via.sent.at(-1)!) as { id: number; docs: string[] };
      for (const p of asking) p.sent.length = 0;
      via.emit('stateless', { payload: JSON.stringify({ t: 'stored', id: q.id, unstored }) });
      return q.docs;
    },
    key,
    setOnline(value: boolean) {
      online = value;
      onlineListeners.forEach((f) => f());
    },
  };
}

const WS = workspaceDocName('usr_1');
const TASK = taskDocName('usr_1', 'tsk_1');
const VIBER = viberDocName('usr_1', 'vbr_1');
const withKey = (key: string) => {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, 1);
  return doc;
};

describe('doc store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('attaches a provider only once the local copy is loaded (the server merges into what IndexedDB had)', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    expect(t.provider(TASK).isAttached).toBe(false);
    await t.load(TASK);
    expect(t.provider(TASK).isAttached).toBe(true);
    handle.release();
  });

  it('waits for the server’s copy until it arrives, but not while the server cannot be reached (a phone resuming, the server down)', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    await t.load(TASK);
    let done = false;
    void handle.syncedOrAfter(10_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    t.provider(TASK).serverSync();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    // Another document, the server gone: the wait ends at the failed connection, not after 10 s.
    const other = t.store.open(VIBER);
    await t.load(VIBER);
    let ended = false;
    void other.syncedOrAfter(10_000).then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ended).toBe(false);
    t.socket.setStatus(WebSocketStatus.Disconnected);
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toBe(true);
    // And while it stays unreachable, at once.
    let atOnce = false;
    void t.store
      .open(WS)
      .syncedOrAfter(10_000)
      .then(() => (atOnce = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(atOnce).toBe(true);
  });

  it('remembers a document with a local edit until the server confirms it', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    await t.load(TASK);
    t.provider(TASK).serverSync();
    // Stamping the synced task with the app's schema ([S12]) is a local write like any other.
    expect(t.pendingNames()).toEqual([TASK]);
    t.provider(TASK).serverAck();
    // [V1] Acknowledged is only "in the server's memory": pending until the server says stored.
    expect(t.pendingNames()).toEqual([TASK]);
    expect(await t.serverStored([TASK])).toEqual([TASK]);
    expect(t.pendingNames(), 'the server has not stored it yet').toEqual([TASK]);
    await t.serverStored();
    expect(t.pendingNames()).toEqual([]);

    handle.doc.getMap('m').set('title', 'offline edit');
    expect(t.pendingNames()).toEqual([TASK]);
    // Synced again (a reconnect) with the edit still unacknowledged: still pending, not asked about.
    t.provider(TASK).serverSync();
    expect(await t.serverStored()).toEqual([]);
    expect(t.pendingNames()).toEqual([TASK]);
    t.provider(TASK).serverAck();
    await t.serverStored();
    expect(t.pendingNames()).toEqual([]);
    handle.release();
  });

  it('[V1] an answer about an edit does not cover a later one; a disconnect forgets acknowledgements', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    await t.load(TASK);
    t.provider(TASK).serverSync();
    t.provider(TASK).serverAck();
    await vi.advanceTimersByTimeAsync(1_000); // asked about the stamp
    const question = t.provider(TASK).sent.at(-1)!;
    handle.doc.getMap('m').set('k', 'made after the question');
    t.provider(TASK).serverAck();
    // The answer to the earlier question arrives: it says nothing of the later edit.
    const { id } = JSON.parse(question) as { id: number };
    t.provider(TASK).emit('stateless', { payload: JSON.stringify({ t: 'stored', id, unstored: [] }) });
    expect(t.pendingNames()).toEqual([TASK]);
    // The server dies before the next answer: acknowledged no longer counts; synced and acknowledged
    // again after the reconnect, then asked.
    t.socket.setStatus(WebSocketStatus.Disconnected);
    t.provider(TASK).sent.length = 0;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.provider(TASK).sent).toEqual([]);
    t.socket.setStatus(WebSocketStatus.Connected);
    t.provider(TASK).serverSync();
    t.provider(TASK).serverAck();
    await t.serverStored();
    expect(t.pendingNames()).toEqual([]);
    handle.release();
  });

  it('[S11a] a change a limit refused is reported with its reason, as the provider reports a closed document; other closes are not', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    await t.load(TASK);
    t.provider(TASK).serverSync();
    t.provider(TASK).emit('close', { event: { code: 1006, reason: '' } }); // the socket dropped
    // The server closed this document for another cause (Hocuspocus's reset after an error).
    t.provider(TASK).emit('close', { event: { code: 1000, reason: 'Reset Connection' } });
    expect(t.refusals).toEqual([]);
    // A document closed by a limit: the provider reports code 1000, the code is in the reason
    // (loaded-memory.integration.test.ts checks a real provider's event has this shape).
    t.provider(TASK).emit('close', { event: { code: 1000, reason: limitReason('too much of this user') } });
    // A whole socket closed by a limit carries its code.
    t.provider(TASK).emit('close', { event: { code: LIMIT_CLOSE_CODE, reason: 'too many at once' } });
    expect(t.refusals).toEqual([
      [TASK, 'too much of this user'],
      [TASK, 'too many at once'],
    ]);
    // Refused at authentication: a limit's words without the code, any other reason as it came.
    t.provider(TASK).emit('authenticationFailed', { reason: limitReason('too many connections') });
    t.provider(TASK).emit('authenticationFailed', { reason: 'permission-denied' });
    expect(t.refusals.slice(2)).toEqual([
      [TASK, 'too many connections'],
      [TASK, 'permission-denied'],
    ]);
    handle.release();
  });

  it('[S11a] tries a document a limit refused again by itself, each wait longer, and says when it passed', async () => {
    const t = setup();
    t.socket.setStatus(WebSocketStatus.Connected);
    const handle = t.store.open(TASK);
    await t.load(TASK);
    const p = t.provider(TASK);
    p.serverSync();
    handle.doc.getMap('m').set('big', 'x'); // a change the limit refuses: it stays in this copy
    p.serverClose(limitReason('too much of this user'));
    expect(t.refusals).toEqual([[TASK, 'too much of this user']]);
    await vi.advanceTimersByTimeAsync(LIMIT_RETRY_MS - 1);
    expect(p.reauthentications).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.reauthentications).toBe(1);
    // Refused again: the next wait is twice as long.
    p.serverClose(limitReason('too much of this user'));
    await vi.advanceTimersByTimeAsync(2 * LIMIT_RETRY_MS - 1);
    expect(p.reauthentications).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.reauthentications).toBe(2);
    // Synced, but the change not yet acknowledged: not passed yet...
    p.isAuthenticated = true;
    p.serverSync();
    expect(t.recovered).toEqual([]);
    // ...acknowledged: it passed, said once, and nothing is tried again.
    p.serverAck();
    expect(t.recovered).toEqual([TASK]);
    await vi.advanceTimersByTimeAsync(LIMIT_RETRY_MAX_MS);
    expect(p.reauthentications).toBe(2);
    // Waits never pass the cap, however often it is refused.
    for (let i = 0; i < 10; i++) p.serverClose(limitReason('still'));
    await vi.advanceTimersByTimeAsync(LIMIT_RETRY_MAX_MS);
    expect(p.reauthentications).toBe(3);
    handle.release();
  });

  it('[S11a] a document refused when opened, then closed with nothing to send, drops its notice; one holding a refused change stays open', async () => {
    const t = setup();
    t.socket.setStatus(WebSocketStatus.Connected);
    // A task the user looked at while the limit refused opening it, then left.
    const looked = t.store.open(TASK);
    await t.load(TASK);
    t.provider(TASK).emit('authenticationFailed', { reason: limitReason('too much of this user') });
    expect(t.refusals).toEqual([[TASK, 'too much of this user']]);
    looked.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.provider(TASK).destroyed).toBe(true);
    expect(t.recovered, 'its notice goes with it').toEqual([TASK]);

    // A document whose change the limit refused is not closed, so its notice stays.
    const edited = t.store.open(VIBER);
    await t.load(VIBER);
    const p = t.provider(VIBER);
    p.serverSync();
    edited.doc.getMap('m').set('big', 'x');
    p.serverClose(limitReason('too much of this user'));
    edited.release();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(p.destroyed).toBe(false);
    expect(t.recovered).toEqual([TASK]);
  });

  it('[S11a] Try again retries a refused document at once, in place of its timer; others are left alone', async () => {
    const t = setup();
    t.socket.setStatus(WebSocketStatus.Connected);
    const refused = t.store.open(TASK);
    const fine = t.store.open(VIBER);
    await t.load(TASK);
    await t.load(VIBER);
    t.provider(VIBER).serverSync();
    const p = t.provider(TASK);
    p.serverSync();
    refused.doc.getMap('m').set('big', 'x');
    p.serverClose(limitReason('too much of this user'));
    t.store.retryRefusedNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(p.reauthentications).toBe(1);
    expect(t.provider(VIBER).reauthentications).toBe(0);
    // The retry it stood in for does not come as well.
    await vi.advanceTimersByTimeAsync(LIMIT_RETRY_MS);
    expect(p.reauthentications).toBe(1);
    refused.release();
    fine.release();
  });

  it("does not count the server's updates or IndexedDB's replay as local edits", async () => {
    const t = setup();
    // A Viber's document: the app never writes it, so nothing stamps it either.
    const handle = t.store.open(VIBER);
    t.replayFromIndexedDb(VIBER, withKey('from-disk'));
    await t.load(VIBER);
    t.provider(VIBER).serverSync(withKey('from-server'));
    expect(handle.doc.getMap('m').toJSON()).toEqual({ 'from-disk': 1, 'from-server': 1 });
    expect(t.pendingNames()).toEqual([]);
    handle.release();
  });

  it('reopens at start the documents an earlier session left unconfirmed, and holds them until confirmed', async () => {
    const t = setup({ 'openviber.unsynced.usr_1': JSON.stringify([TASK, 42]) });
    // Opened with no view asking for it; a stored entry that is not a name is ignored.
    const p = t.provider(TASK);
    expect(p).toBeDefined();
    await t.load(TASK);
    expect(p.isAttached).toBe(true);
    // IndexedDB's copy held the edit: the provider has it to send.
    Y.applyUpdate(p.doc, Y.encodeStateAsUpdate(withKey('offline')));
    p.serverSync();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.destroyed, 'held while the edit is unconfirmed').toBe(false);

    p.serverAck();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.destroyed, 'held while the server has not said it is stored').toBe(false);
    await t.serverStored();
    expect(t.pendingNames()).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(p.destroyed, 'released once stored').toBe(true);
  });

  it('closes a released document after a moment, unless reopened or holding unsent changes', async () => {
    const t = setup();
    const first = t.store.open(TASK);
    await t.load(TASK);
    t.provider(TASK).serverSync();
    first.release();
    first.release(); // a second release of the same handle changes nothing
    const again = t.store.open(TASK);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.provider(TASK).destroyed, 'reopened within the moment').toBe(false);

    again.doc.getMap('m').set('k', 'unsent');
    again.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.provider(TASK).destroyed, 'never closed with unsent changes').toBe(false);

    const last = t.store.open(TASK);
    t.provider(TASK).serverAck();
    last.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.provider(TASK).destroyed, 'never closed before the server stored it').toBe(false);
    await t.serverStored();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.provider(TASK).destroyed).toBe(true);
    // The next open is a new document and provider.
    const reopened = t.store.open(TASK);
    expect(t.provider(TASK).destroyed).toBe(false);
    reopened.release();
  });

  it('storedLocally waits until the local copy holds every write; after sign-out (destroyed) it refuses', async () => {
    const t = setup();
    const handle = t.store.open(TASK);
    await t.load(TASK);
    await expect(handle.storedLocally()).resolves.toBeUndefined(); // nothing written
    handle.doc.getMap('m').set('k', 1);
    let stored = false;
    const waiting = handle.storedLocally().then(() => (stored = true));
    await Promise.resolve();
    expect(stored, 'not before IndexedDB confirmed the write').toBe(false);
    t.confirmLocal(TASK);
    await waiting;
    expect(stored).toBe(true);
    t.store.destroy();
    await expect(handle.storedLocally()).rejects.toThrow(/closed before it was stored/);
  });

  it('derives the sync state: offline, connecting, syncing until every attached document is synced and confirmed, saved', async () => {
    const t = setup();
    expect(t.store.state.value).toBe('saved');
    const handle = t.store.open(TASK);
    await t.load(TASK);
    expect(t.store.state.value).toBe('syncing');
    t.provider(TASK).serverSync();
    expect(t.store.state.value, 'its schema stamp is not confirmed yet').toBe('syncing');
    t.provider(TASK).serverAck();
    expect(t.store.state.value).toBe('saved');

    handle.doc.getMap('m').set('k', 'v');
    expect(t.store.unsynced.value).toBe(1);
    expect(t.store.state.value).toBe('syncing');
    t.provider(TASK).serverAck();
    expect(t.store.state.value).toBe('saved');

    t.socket.setStatus(WebSocketStatus.Connecting);
    expect(t.store.state.value).toBe('connecting');
    t.socket.setStatus(WebSocketStatus.Disconnected);
    expect(t.store.state.value).toBe('offline');
    t.socket.setStatus(WebSocketStatus.Connected);
    expect(t.store.state.value).toBe('saved');

    t.setOnline(false);
    expect(t.store.browserOnline.value).toBe(false);
    expect(t.store.state.value).toBe('offline');
    const connects = t.socket.connects;
    t.setOnline(true);
    expect(t.socket.connects, 'back online: reconnect at once').toBe(connects + 1);
    expect(t.store.state.value).toBe('saved');
    handle.release();
  });

  it('[S12] reports a synced document a newer app wrote, and stamps the workspace it writes with its own schema', async () => {
    const t = setup();
    const ws = t.store.open(WS);
    await t.load(WS);
    t.provider(WS).serverSync();
    expect(t.store.newerSchema.value).toBe(0);
    expect(ws.doc.getMap('schema').get('version')).toBe(SCHEMA_VERSION);

    const task = t.store.open(TASK);
    await t.load(TASK);
    const newer = new Y.Doc();
    stampDocument(newer, 'app 99.0.0', SCHEMA_VERSION + 1);
    t.provider(TASK).serverSync(newer);
    expect(t.store.newerSchema.value).toBe(SCHEMA_VERSION + 1);
    ws.release();
    task.release();
  });

  it("[D9] compacts what deletions left in the device's workspace after loading it and at each sync, and only there", async () => {
    const t = setup();
    const ws = t.store.open(WS);
    const history = new Y.Doc();
    for (let i = 0; i < 50; i++)
      deleteTask(history, createTask(history, { environmentId: 'env_1', title: `t${i}`, viberId: '' }));
    const full = Y.encodeStateAsUpdate(history).length;
    t.replayFromIndexedDb(WS, history);
    await t.load(WS);
    const loaded = Y.encodeStateAsUpdate(ws.doc).length;
    expect(loaded).toBeLessThan(full - 50 * 30); // 50 task keys' items gone (their log entries stay)
    expect(listDeletions(ws.doc)).toHaveLength(50);

    trimDeletions(history, 0); // the server trimmed the log
    t.provider(WS).serverSync(history);
    expect(Y.encodeStateAsUpdate(ws.doc).length).toBeLessThan(200);
    expect(listDeletions(ws.doc)).toEqual([]);

    // A task document is not the workspace: its maps are left alone.
    const task = t.store.open(TASK);
    t.replayFromIndexedDb(TASK, history);
    await t.load(TASK);
    expect(Y.encodeStateAsUpdate(task.doc).length).toBe(Y.encodeStateAsUpdate(history).length);
    ws.release();
    task.release();
  });
});
