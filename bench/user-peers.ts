// Worker thread: the devices of many users, each a websocket speaking the Hocuspocus protocol with
// its own small Y.Doc (auth, sync both ways, updates, an awareness state renewed every 15 s as
// y-protocols does). Every user's devices share one document (their workspace); app devices edit
// it, and every other device of the user stamps when the edit arrived. Commands: open, run, close.
import { parentPort } from 'node:worker_threads';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { now } from './report.ts';

const Msg = { sync: 0, awareness: 1, auth: 2 } as const;
const AuthType = { token: 0, permissionDenied: 1, authenticated: 2 } as const;
const SyncStep = { one: 0, two: 1, update: 2 } as const;
const REMOTE = Symbol('remote');
const RENEW_MS = 15_000;

export interface DeviceSpec {
  url: string;
  token: string;
  /** App devices edit; a Viber only reads the workspace. */
  edits: boolean;
  /** Which server process it talks to (for cross-process figures). */
  server: number;
}

export interface UserSpec {
  doc: string;
  devices: DeviceSpec[];
}

interface Device {
  spec: DeviceSpec;
  user: UserSpec;
  index: number;
  ws: WebSocket;
  doc: Y.Doc;
  clientId: number;
  clock: number;
  /** When this device last sent its awareness state (it renews 15 s later, at its own phase). */
  renewedAt: number;
}

const port = parentPort!;
let devices: Device[] = [];
let renew: NodeJS.Timeout | undefined;
let sameMs: number[] = [];
let crossMs: number[] = [];
let recording = false;

function message(doc: string, type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

const syncMessage = (doc: string, step: number, payload: Uint8Array) =>
  message(doc, Msg.sync, (e) => (encoding.writeVarUint(e, step), encoding.writeVarUint8Array(e, payload)));

function awarenessMessage(d: Device): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, 1);
  encoding.writeVarUint(update, d.clientId);
  encoding.writeVarUint(update, d.clock++);
  encoding.writeVarString(update, '{"user":{"name":"bench"}}');
  return message(d.user.doc, Msg.awareness, (e) =>
    encoding.writeVarUint8Array(e, encoding.toUint8Array(update)),
  );
}

/** Resolves null once authenticated and synced, else the reason it failed. */
function connect(user: UserSpec, index: number, timeoutMs: number): Promise<string | null> {
  const spec = user.devices[index];
  return new Promise((resolve) => {
    const ws = new WebSocket(spec.url, { perMessageDeflate: false });
    const doc = new Y.Doc();
    const d: Device = { spec, user, index, ws, doc, clientId: doc.clientID, clock: 1, renewedAt: now() };
    let authed = false;
    let done = false;
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) ws.terminate();
      else devices.push(d);
      resolve(error);
    };
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE && ws.readyState === WebSocket.OPEN)
        ws.send(syncMessage(user.doc, SyncStep.update, update));
    });
    const stamps = doc.getMap<number>('bench');
    stamps.observe((event) => {
      if (!recording) return;
      const t = now();
      for (const key of event.keysChanged) {
        const from = Number(key);
        if (from === index) continue;
        const ms = t - (stamps.get(key) ?? t);
        (user.devices[from].server === spec.server ? sameMs : crossMs).push(ms);
      }
    });
    ws.binaryType = 'nodebuffer';
    ws.on('open', () =>
      ws.send(
        message(
          user.doc,
          Msg.auth,
          (e) => (encoding.writeVarUint(e, AuthType.token), encoding.writeVarString(e, spec.token)),
        ),
      ),
    );
    ws.on('error', (e) => finish(e.message));
    ws.on('close', () => finish('closed'));
    ws.on('message', (data: Buffer) => {
      const dec = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      decoding.readVarString(dec);
      const type = decoding.readVarUint(dec);
      if (type === Msg.auth) {
        const auth = decoding.readVarUint(dec);
        if (auth === AuthType.permissionDenied) return finish(`refused: ${decoding.readVarString(dec)}`);
        if (auth === AuthType.authenticated && !authed) {
          authed = true;
          ws.send(syncMessage(user.doc, SyncStep.one, Y.encodeStateVector(doc)));
          ws.send(awarenessMessage(d));
          d.renewedAt = now();
        }
      } else if (type === Msg.sync && authed) {
        const step = decoding.readVarUint(dec);
        const payload = decoding.readVarUint8Array(dec);
        if (step === SyncStep.one)
          ws.send(syncMessage(user.doc, SyncStep.two, Y.encodeStateAsUpdate(doc, payload)));
        else {
          Y.applyUpdate(doc, payload, REMOTE);
          if (step === SyncStep.two) finish(null);
        }
      }
    });
  });
}

async function open(users: UserSpec[], concurrency: number, timeoutMs: number) {
  // Renewals start now: a device that waits for the others to connect must not go idle meanwhile.
  // Like y-protocols, each device renews 15 s after its own last update (checked every 250 ms here,
  // every 3 s there), so renewals spread over the interval as the devices connected; renewing every
  // device in one loop made a burst of 9,000 awareness messages every 15 s that no deployment sees
  // and that delayed ~7% of the edits by up to a second, in ours and the bare server alike.
  renew ??= setInterval(() => {
    const t = now();
    for (const d of devices)
      if (t - d.renewedAt >= RENEW_MS && d.ws.readyState === WebSocket.OPEN) {
        d.renewedAt = t;
        d.ws.send(awarenessMessage(d));
      }
  }, 250);
  const queue = users.flatMap((u) => u.devices.map((_, i) => [u, i] as const));
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const lane = async () => {
    while (next < queue.length) {
      const [user, index] = queue[next++];
      const error = await connect(user, index, timeoutMs);
      if (error) {
        failed++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { held: devices.length, failed, firstError };
}

/**
 * Every user edits once per `periodMs` (from one of their app devices, in turn), at a random phase,
 * for `durationMs`; then waits `drainMs` for the last deliveries. Returns the delivery times.
 */
async function run(durationMs: number, periodMs: number, drainMs: number) {
  sameMs = [];
  crossMs = [];
  recording = true;
  const byUser = new Map<UserSpec, Device[]>();
  for (const d of devices) if (d.spec.edits) byUser.set(d.user, [...(byUser.get(d.user) ?? []), d]);
  let edits = 0;
  let expected = 0;
  const timers: NodeJS.Timeout[] = [];
  const start = now();
  for (const [user, editors] of byUser) {
    let turn = 0;
    const receivers = devices.filter((d) => d.user === user).length - 1;
    const edit = () => {
      if (now() - start >= durationMs) return;
      const d = editors[turn++ % editors.length];
      d.doc.getMap<number>('bench').set(String(d.index), now());
      edits++;
      expected += receivers;
      timers.push(setTimeout(edit, periodMs));
    };
    timers.push(setTimeout(edit, Math.random() * periodMs));
  }
  await new Promise((r) => setTimeout(r, durationMs));
  timers.forEach(clearTimeout);
  // Late deliveries are slow, not lost: wait for them up to `drainMs`.
  const drainEnd = now() + drainMs;
  while (sameMs.length + crossMs.length < expected && now() < drainEnd)
    await new Promise((r) => setTimeout(r, 50));
  recording = false;
  const open = devices.filter((d) => d.ws.readyState === WebSocket.OPEN).length;
  return { edits, expected, sameMs, crossMs, open };
}

function close() {
  clearInterval(renew);
  renew = undefined;
  for (const d of devices) d.ws.terminate();
  devices = [];
  return {};
}

port.on('message', (msg: { id: number; cmd: string } & Record<string, unknown>) => {
  const go = async () => {
    if (msg.cmd === 'open')
      return open(msg.users as UserSpec[], msg.concurrency as number, msg.timeoutMs as number);
    if (msg.cmd === 'run')
      return run(msg.durationMs as number, msg.periodMs as number, msg.drainMs as number);
    if (msg.cmd === 'close') return close();
    throw new Error(`unknown command ${msg.cmd}`);
  };
  go().then(
    (reply) => port.postMessage({ ...reply, id: msg.id }),
    (error: unknown) => port.postMessage({ id: msg.id, error: String(error) }),
  );
});
