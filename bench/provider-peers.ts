// Worker thread: real peers, each a HocuspocusProvider with its own Y.Doc and its own websocket
// (as a browser tab or a Viber would have). Commands: open, watch (fan-out arrivals), storm, kick,
// collect (a scavenge of this thread), close.
import { parentPort } from 'node:worker_threads';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { QuietWebSocket } from '../sync-server/testing/peers.ts';
import * as Y from 'yjs';
import type { PeerSpec } from './pool.ts';
import { now } from './report.ts';

interface Peer {
  /** Which server this peer is connected to (the fan-out measures two at once). */
  group: string;
  doc: Y.Doc;
  socket: HocuspocusProviderWebsocket;
  provider: HocuspocusProvider;
  synced: boolean;
  failed: string | null;
}

interface OpenCommand {
  url: string;
  /** Label for the peers opened by this command; `watch` reports arrivals per group. */
  group?: string;
  specs: PeerSpec[];
  /** false: no awareness (the fan-out figure measures document updates only). */
  awareness: boolean;
  socketOptions: Record<string, number | boolean>;
  batch: number;
  timeoutMs: number;
}

const port = parentPort!;
// ws reports an attempt aborted mid-handshake (the provider retrying) as an error with no listener.
process.on('uncaughtException', (error) => {
  if (!/closed before the connection was established/.test(error.message)) throw error;
});
let peers: Peer[] = [];

function openPeer(cmd: OpenCommand, spec: PeerSpec): Peer {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({
    url: cmd.url,
    WebSocketPolyfill: QuietWebSocket,
    ...cmd.socketOptions,
  });
  const peer: Peer = {
    group: cmd.group ?? '',
    doc,
    socket,
    provider: undefined as unknown as HocuspocusProvider,
    synced: false,
    failed: null,
  };
  peer.provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: spec.doc,
    document: doc,
    token: spec.token,
    ...(cmd.awareness ? {} : { awareness: null }),
    onSynced: ({ state }) => {
      if (state) peer.synced = true;
    },
    onAuthenticationFailed: ({ reason }) => {
      peer.failed = reason;
    },
  });
  peer.provider.attach();
  return peer;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

async function open(cmd: OpenCommand) {
  const start = now();
  const opened: Peer[] = [];
  for (let i = 0; i < cmd.specs.length; i += cmd.batch) {
    const batch = cmd.specs.slice(i, i + cmd.batch).map((s) => openPeer(cmd, s));
    opened.push(...batch);
    await until(() => batch.every((p) => p.synced || p.failed), cmd.timeoutMs);
  }
  peers.push(...opened);
  const synced = opened.filter((p) => p.synced).length;
  return {
    synced,
    failed: opened.length - synced,
    reason: opened.find((p) => p.failed)?.failed ?? null,
    ms: now() - start,
  };
}

/**
 * Reports, per value of bench.seq, when each of this worker's peers of the group that saw it saw it
 * (seq values are unique across groups: each update goes to one server).
 */
function watch() {
  const arrivals = new Map<number, number[]>();
  const groupSize = new Map<string, number>();
  for (const peer of peers) groupSize.set(peer.group, (groupSize.get(peer.group) ?? 0) + 1);
  for (const peer of peers) {
    const size = groupSize.get(peer.group)!;
    const map = peer.doc.getMap<number>('bench');
    map.observe(() => {
      const t = now();
      const seq = map.get('seq');
      if (seq === undefined) return;
      const list = arrivals.get(seq) ?? [];
      list.push(t);
      arrivals.set(seq, list);
      if (list.length === size) {
        arrivals.delete(seq);
        port.postMessage({ event: 'seq', seq, group: peer.group, arrivals: list });
      }
    });
  }
  return {};
}

/** This worker's peers of `group` (all of them when it is not given). */
const ofGroup = (group: string | undefined) =>
  group === undefined ? peers : peers.filter((p) => p.group === group);

/**
 * Resolves once every peer (of `group`) lost its connection and then synced again; the time of
 * each re-sync.
 */
async function storm(timeoutMs: number, group?: string) {
  const watched = ofGroup(group);
  const resynced: number[] = new Array(watched.length).fill(0);
  const lost = new Array<boolean>(watched.length).fill(false);
  const offs: (() => void)[] = [];
  watched.forEach((peer, i) => {
    const onClose = () => (lost[i] = true);
    const onSynced = ({ state }: { state: boolean }) => {
      if (state && lost[i] && !resynced[i]) resynced[i] = now();
    };
    peer.socket.on('close', onClose);
    peer.provider.on('synced', onSynced);
    offs.push(() => {
      peer.socket.off('close', onClose);
      peer.provider.off('synced', onSynced);
    });
  });
  port.postMessage({ event: 'storm-armed' });
  await until(() => resynced.every((t) => t > 0), timeoutMs);
  offs.forEach((off) => off());
  return { resynced: resynced.filter((t) => t > 0), missing: resynced.filter((t) => t === 0).length };
}

/** Every peer (of `group`) that is not connected tries again now, instead of at its next backoff step. */
function kick(group?: string) {
  for (const p of ofGroup(group)) if (p.socket.status === 'disconnected') void p.socket.connect();
  return {};
}

function close() {
  for (const p of peers) {
    p.provider.destroy();
    p.socket.destroy();
  }
  peers = [];
  return {};
}

port.on('message', (msg: { id: number; cmd: string } & Record<string, unknown>) => {
  const run = async () => {
    switch (msg.cmd) {
      case 'open':
        return open(msg as unknown as OpenCommand);
      case 'watch':
        return watch();
      case 'storm':
        return storm(msg.timeoutMs as number, msg.group as string | undefined);
      case 'kick':
        return kick(msg.group as string | undefined);
      case 'collect':
        // A scavenge now, between updates: the peer threads' own garbage is collected outside the
        // interval being timed (npm run bench starts Node with --expose-gc).
        (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc?.({ type: 'minor' });
        return {};
      case 'close':
        return close();
      default:
        throw new Error(`unknown command ${msg.cmd}`);
    }
  };
  run().then(
    (reply) => port.postMessage({ ...reply, id: msg.id }),
    (error: unknown) => port.postMessage({ id: msg.id, error: String(error) }),
  );
});
