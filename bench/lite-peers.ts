// Worker thread: lightweight peers for the connection count. Each is one websocket speaking the
// Hocuspocus protocol itself, as a provider would: authenticate with a token, sync step 1, one
// awareness state (renewed every 15 s like y-protocols does), then stay. It keeps no Y.Doc, so
// thousands fit in one thread; the server cannot tell it from a provider.
import { parentPort } from 'node:worker_threads';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import type { PeerSpec } from './pool.ts';

const Msg = { sync: 0, awareness: 1, auth: 2 } as const;
const AuthType = { token: 0, permissionDenied: 1, authenticated: 2 } as const;
const SyncStep = { one: 0, two: 1 } as const;

const port = parentPort!;
const sockets: WebSocket[] = [];
let renew: NodeJS.Timeout | undefined;

function message(doc: string, type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

function awarenessMessage(doc: string, clientId: number, clock: number): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, 1);
  encoding.writeVarUint(update, clientId);
  encoding.writeVarUint(update, clock);
  encoding.writeVarString(update, '{}');
  return message(doc, Msg.awareness, (e) => encoding.writeVarUint8Array(e, encoding.toUint8Array(update)));
}

/** Resolves true once authenticated and synced, false on refusal, error or timeout. */
function connect(url: string, spec: PeerSpec, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const clientId = Math.floor(Math.random() * 2 ** 31);
    let clock = 1;
    let authed = false;
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (error: string | null) => {
      clearTimeout(timer);
      if (error) ws.terminate();
      else {
        sockets.push(ws);
        (ws as WebSocket & { renewAwareness?: () => void }).renewAwareness = () =>
          ws.send(awarenessMessage(spec.doc, clientId, ++clock));
      }
      resolve(error);
    };
    ws.binaryType = 'nodebuffer';
    ws.on('open', () =>
      ws.send(
        message(
          spec.doc,
          Msg.auth,
          (e) => (encoding.writeVarUint(e, AuthType.token), encoding.writeVarString(e, spec.token)),
        ),
      ),
    );
    ws.on('error', (e) => finish(e.message));
    ws.on('message', (data: Buffer) => {
      const d = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      decoding.readVarString(d);
      const type = decoding.readVarUint(d);
      if (type === Msg.auth) {
        const auth = decoding.readVarUint(d);
        if (auth === AuthType.permissionDenied) return finish(`refused: ${decoding.readVarString(d)}`);
        if (auth === AuthType.authenticated && !authed) {
          authed = true;
          ws.send(
            message(
              spec.doc,
              Msg.sync,
              (e) => (
                encoding.writeVarUint(e, SyncStep.one),
                encoding.writeVarUint8Array(e, new Uint8Array([0]))
              ),
            ),
          );
          ws.send(awarenessMessage(spec.doc, clientId, clock));
        }
      } else if (type === Msg.sync && authed && decoding.readVarUint(d) === SyncStep.two) finish(null);
    });
  });
}

async function open(url: string, specs: PeerSpec[], concurrency: number, timeoutMs: number) {
  let next = 0;
  let held = 0;
  let firstError: string | null = null;
  const lane = async () => {
    while (next < specs.length) {
      const error = await connect(url, specs[next++], timeoutMs);
      if (error) firstError ??= error;
      else held++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  renew ??= setInterval(
    () => sockets.forEach((ws) => (ws as WebSocket & { renewAwareness?: () => void }).renewAwareness?.()),
    15_000,
  );
  // Still open once every connection is done? A server that dropped peers shows up here.
  const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  return { held, open, failed: specs.length - held, firstError };
}

function close() {
  clearInterval(renew);
  renew = undefined;
  for (const ws of sockets.splice(0)) ws.terminate();
  return {};
}

port.on('message', (msg: { id: number; cmd: string } & Record<string, unknown>) => {
  const run = async () => {
    if (msg.cmd === 'open')
      return open(
        msg.url as string,
        msg.specs as PeerSpec[],
        msg.concurrency as number,
        msg.timeoutMs as number,
      );
    if (msg.cmd === 'count') return { open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length };
    if (msg.cmd === 'close') return close();
    throw new Error(`unknown command ${msg.cmd}`);
  };
  run().then(
    (reply) => port.postMessage({ ...reply, id: msg.id }),
    (error: unknown) => port.postMessage({ id: msg.id, error: String(error) }),
  );
});
