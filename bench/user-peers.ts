// Worker thread: the devices of many users, each a websocket speaking the Hocuspocus protocol with
// its own small Y.Doc (auth, sync both ways, updates, an awareness state renewed as y-protocols
// does). Every user's devices share one document (their workspace); app devices edit
// it, and every other device of the user stamps when the edit arrived. Commands: open, run, close.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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
// y-protocols' Awareness checks every outdatedTimeout / 10 = 3 s whether its state is
// outdatedTimeout / 2 = 15 s old, and renews it then.
const RENEW_MS = 15_000;
const RENEW_CHECK_MS = 3_000;

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
  /** When this device last set its awareness state (renewed once RENEW_MS old). */
  renewedAt: number;
  renewTimer?: NodeJS.Timeout;
}

const port = parentPort!;
let devices: Device[] = [];
let sameMs: number[] = [];
let crossMs: number[] = [];
/** With BENCH_TRACE: per delivery, its arrival (ms since the epoch), its time and 1 if cross-process. */
let trace: number[] = [];
const TRACE = Boolean(process.env.BENCH_TRACE);
/** With BENCH_TRACE: this thread's GC pauses, as [start ms since the epoch, duration ms, kind]. */
let gcs: number[] = [];
if (TRACE)
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push(
        performance.timeOrigin + e.startTime,
        e.duration,
        (e as unknown as { detail: { kind: number } }).detail.kind,
      );
  }).observe({ entryTypes: ['gc'] });
let recording = false;

/** A full GC of this thread (npm run bench starts Node with --expose-gc; bench/run.ts checks it). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

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

/**
 * Renews `d`'s awareness state on its own timer, as y-protocols does in each app: a check every 3 s,
 * a renewal once the state is 15 s old. The state's age at connect is random (it was set when the
 * app opened, not when this socket connected), and so is the check's phase. The phase must not come
 * from the connect: the bench connects 9,000 devices within 5-7 s, and renewals tied to that (and
 * sent by one sweep every 250 ms, as this bench did) reached the server in batches of 150-250 per
 * thread, 4 per second, all within the same 5-7 s of every 15 s. Each batch held the server's event
 * loop 20-50 ms and the edits behind it: on a quiet machine the many-users p99 was 42 ms with the
 * batches, 8 ms without (bench/ANALYSIS.md). A deployment's devices connect and open at unrelated
 * times; the awareness traffic is the same, ~550 renewals per second here.
 */
function renewAwareness(d: Device): void {
  d.renewedAt = now() - Math.random() * RENEW_MS;
  const check = () => {
    if (now() - d.renewedAt < RENEW_MS || d.ws.readyState !== WebSocket.OPEN) return;
    d.renewedAt = now();
    d.ws.send(awarenessMessage(d));
  };
  d.renewTimer = setTimeout(() => {
    d.renewTimer = setInterval(check, RENEW_CHECK_MS);
  }, Math.random() * RENEW_CHECK_MS);
}

function stopRenewing(d: Device): void {
  clearTimeout(d.renewTimer);
  clearInterval(d.renewTimer);
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
      if (error) {
        stopRenewing(d);
        ws.terminate();
      } else devices.push(d);
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
        if (TRACE) trace.push(t, ms, user.devices[from].server === spec.server ? 0 : 1);
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
          renewAwareness(d);
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
  trace = [];
  gcs = [];
  // This thread stamps every arrival, so its own full GC is part of every delivery time it takes:
  // one in the window (its heap grows ~1.5 MB/s) made the largest bursts of the 2-process runs, up
  // to a third of the deliveries past the p99, and whether it fell in a window was the phase of the
  // connect ramp. Collected here, once, before every run's window, with the bench process's heap
  // allowed to grow 3 times (npm run bench's flags), so no run measures the bench's own full GC. The
  // pause after lets its sweeping finish.
  collectGarbage();
  await new Promise((r) => setTimeout(r, 1000));
  recording = true;
  // One pass over the devices (a filter per user here was 6.75 million comparisons per thread at
  // 3,000 users: ~150 ms of both peer threads' CPU just as the first edits went out, and up to 64
  // of the 180 deliveries that make a 30 s window's p99 came from those 250 ms).
  const byUser = new Map<UserSpec, Device[]>();
  const devicesOf = new Map<UserSpec, number>();
  for (const d of devices) {
    devicesOf.set(d.user, (devicesOf.get(d.user) ?? 0) + 1);
    if (!d.spec.edits) continue;
    const editors = byUser.get(d.user);
    if (editors) editors.push(d);
    else byUser.set(d.user, [d]);
  }
  let edits = 0;
  let expected = 0;
  const timers: NodeJS.Timeout[] = [];
  // This thread stamps the arrivals: how late its own event loop ran is reported beside the figure.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const start = now();
  for (const [user, editors] of byUser) {
    let turn = 0;
    const receivers = devicesOf.get(user)! - 1;
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
  delay.disable();
  // Late deliveries are slow, not lost: wait for them up to `drainMs`.
  const drainEnd = now() + drainMs;
  while (sameMs.length + crossMs.length < expected && now() < drainEnd)
    await new Promise((r) => setTimeout(r, 50));
  recording = false;
  const open = devices.filter((d) => d.ws.readyState === WebSocket.OPEN).length;
  return {
    edits,
    expected,
    sameMs,
    crossMs,
    trace,
    gcs,
    open,
    loopDelayP99: delay.percentile(99) / 1e6,
    loopDelayMax: delay.max / 1e6,
  };
}

function close() {
  for (const d of devices) {
    stopRenewing(d);
    d.ws.terminate();
  }
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
