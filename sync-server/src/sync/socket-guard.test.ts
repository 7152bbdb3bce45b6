import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { isSyncStep1, syncUpdateBytes, unproxied, wellFormed } from './socket-guard.ts';

const message = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const auth = (token: string, version?: string) =>
  message((e) => {
    encoding.writeVarString(e, 'u/usr_1/workspace');
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, token);
    if (version) encoding.writeVarString(e, version);
  });
const named = (name: string) =>
  message((e) => {
    encoding.writeVarString(e, name);
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 0);
  });

describe('the prefix every Hocuspocus message starts with', () => {
  it('[S17] accepts what providers send: Auth with and without a version, sync and awareness', () => {
    expect(wellFormed(auth('tok'))).toBe(true);
    expect(wellFormed(auth('tok', '4.8.0'))).toBe(true);
    const sync = message((e) => {
      encoding.writeVarString(e, 'u/usr_1/task/t1');
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint8Array(e, new Uint8Array([0]));
    });
    expect(wellFormed(sync)).toBe(true);
    expect(wellFormed(new Uint8Array(1_000))).toBe(true); // an empty name and type 0: Hocuspocus reads on
  });

  it('[S17] refuses a name Hocuspocus would key a plain object by or echo into the log; an unknown plain name goes on to its refusal', () => {
    const hostile = [
      '__proto__',
      'constructor',
      'toString',
      'u/usr_1/x\nforged log line',
      `u/usr_1/${'x'.repeat(200_000)}`,
      '__proto__\0session',
      'u/usr_1/café', // UTF-8, not ASCII
      'u/usr_1/x\x7f',
    ];
    for (const name of hostile) expect(wellFormed(named(name)), name.slice(0, 20)).toBe(false);
    // Refused at authentication, for that document alone (a newer app's document kind keeps its socket).
    expect(wellFormed(named('u/usr_1/secrets'))).toBe(true);
    expect(wellFormed(named('u/usr_1/viber/vbr_1/run/tsk_1'))).toBe(true);
    expect(wellFormed(named('u/usr_1/workspace\0a1b2c3d4-session'))).toBe(true);
    // A frame read into a slice of a larger buffer (as ws hands them over): the name is read from its own bytes.
    const pool = new Uint8Array(64).fill(0x0a);
    const frame = named('__proto__');
    pool.set(frame, 7);
    expect(wellFormed(pool.subarray(7, 7 + frame.length))).toBe(false);
    pool.set(named('u/usr_1/workspace'), 7);
    expect(wellFormed(pool.subarray(7, 7 + named('u/usr_1/workspace').length))).toBe(true);
  });

  it('[S17] refuses what Hocuspocus would print a stack trace for', () => {
    const full = auth('a-token', '4.8.0');
    const withoutVersion = auth('a-token').length; // a whole message itself
    // Cut inside the name, the type, the token or the version string.
    for (let cut = 0; cut < full.length; cut++)
      if (cut !== withoutVersion) expect(wellFormed(full.subarray(0, cut)), `cut at ${cut}`).toBe(false);
    expect(wellFormed(new Uint8Array([0xff, 0xff, 0xff]))).toBe(false);
    expect(wellFormed(new Uint8Array([0x02, 0xc3, 0x28, 0x00]))).toBe(false); // a name that is not UTF-8
    expect(wellFormed(new Uint8Array([0x05, 0x61]))).toBe(false); // a name longer than the message
  });
});

describe('which messages the sync budget charges', () => {
  const sync = (name: string, step: number) => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, name);
    encoding.writeVarUint(e, 0); // MessageType.Sync
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, Uint8Array.of(0));
    return encoding.toUint8Array(e);
  };

  it('[S16] a SyncStep1 for any document name, and nothing else: not step 2, an update, awareness or a cut message', () => {
    expect(isSyncStep1(sync('u/usr_a/workspace', 0))).toBe(true);
    expect(isSyncStep1(sync('x'.repeat(200), 0))).toBe(true); // a name longer than one varUint byte
    expect(isSyncStep1(sync('u/usr_a/workspace', 1))).toBe(false);
    expect(isSyncStep1(sync('u/usr_a/workspace', 2))).toBe(false);
    const awareness = encoding.createEncoder();
    encoding.writeVarString(awareness, 'u/usr_a/workspace');
    encoding.writeVarUint(awareness, 1);
    expect(isSyncStep1(encoding.toUint8Array(awareness))).toBe(false);
    expect(isSyncStep1(sync('u/usr_a/workspace', 0).subarray(0, 5))).toBe(false);
    expect(isSyncStep1(new Uint8Array())).toBe(false);
  });
});

describe('[S11a] what a message can add to a document', () => {
  const message = (type: number, step: number, payload: Uint8Array) => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, 'u/usr_a/task/t1');
    encoding.writeVarUint(e, type);
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, payload);
    return encoding.toUint8Array(e);
  };
  const doc = new Y.Doc();
  doc.getMap('m').set('k', 'x'.repeat(500));
  const update = Y.encodeStateAsUpdate(doc);

  it('is the update of a SyncStep2 or an Update, and nothing of a SyncStep1, awareness or a cut message', () => {
    expect(syncUpdateBytes(message(0, 1, update))).toBe(update.byteLength);
    expect(syncUpdateBytes(message(0, 2, update))).toBe(update.byteLength);
    expect(syncUpdateBytes(message(0, 2, Y.encodeStateAsUpdate(new Y.Doc())))).toBe(2); // empty
    expect(syncUpdateBytes(message(0, 0, Y.encodeStateVector(doc)))).toBe(0);
    expect(syncUpdateBytes(message(1, 0, update))).toBe(0); // awareness
    expect(syncUpdateBytes(message(0, 2, update).subarray(0, 20))).toBe(update.byteLength); // length read, body cut
    expect(syncUpdateBytes(new Uint8Array([0xff]))).toBe(0);
  });
});

describe('the socket Hocuspocus is given', () => {
  // As crossws wraps each socket (createWsProxy): answers a few falsy fields from the request.
  const crosswsProxy = <T extends object>(ws: T) =>
    new Proxy(ws, {
      get: (target, prop) => Reflect.get(target, prop) || (prop === 'protocol' ? 'from-request' : undefined),
    });

  class Socket {
    readyState = 1;
    protocol = '';
    send(): number {
      return this.readyState;
    }
  }

  it("is crossws's socket itself, not its Proxy, and is left as it was", () => {
    const ws = new Socket();
    const keys = Reflect.ownKeys(ws);
    expect(unproxied(crosswsProxy(ws))).toBe(ws);
    expect(unproxied(crosswsProxy(new Socket()))).not.toBe(ws);
    expect(unproxied(ws)).toBe(ws);
    expect(Reflect.ownKeys(ws)).toEqual(keys);
    // Nothing is added to every object: a plain object's Proxy stays as it is.
    const plain = crosswsProxy({ readyState: 1 });
    expect(unproxied(plain)).toBe(plain);
    expect(Object.getOwnPropertySymbols(Object.prototype)).toEqual([]);
  });

  it('stays the Proxy when the Proxy does not read its target plainly, or the class is frozen', () => {
    const passesReceiver = new Proxy(new Socket(), {
      get: (target, prop, receiver) => Reflect.get(target, prop, receiver),
    });
    expect(unproxied(passesReceiver)).toBe(passesReceiver);
    class Frozen {
      readyState = 1;
    }
    Object.freeze(Frozen.prototype);
    const frozen = crosswsProxy(new Frozen());
    expect(unproxied(frozen)).toBe(frozen);
  });
});
