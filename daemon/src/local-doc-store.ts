// The daemon's own documents on its disk (local-first, like the app's IndexedDB): every update is
// appended to one file per document and fsync'd before the write that made it returns, so what the
// Viber wrote survives a server that acknowledged it from memory and then died ([V1]).
//
// Beside a document with a local change the server may not have stored yet lies a marker file
// (`<file>.pending`), made durable before that change's frame: connection.ts clears it once the
// server says the change is stored (shared/src/store-status.ts), and re-sends every marked document
// that is not open at each (re)connect — so a prepare's log or a run that ended while the server
// was down (or died before storing) reaches the server even if nothing opens that document again.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { replaceFile, syncDir } from './durable-file.ts';

/** Updates appended before a file is rewritten as one snapshot. */
export const COMPACT_AFTER_UPDATES = 500;

/** Marks updates applied from the disk, so they are not written back. */
const FROM_DISK = Symbol('local-doc-store');

const SUFFIX = '.yupd';
const PENDING = '.pending';
// Document names are `/`-separated ids ([A-Za-z0-9_-]), so `.` can stand for `/` in a file name.
const fileOf = (dir: string, name: string) => join(dir, `${name.replaceAll('/', '.')}${SUFFIX}`);
const markerOf = (dir: string, name: string) => `${fileOf(dir, name)}${PENDING}`;

export interface PersistedDoc {
  /** Stops writing the document (its file, and its marker, stay). */
  detach(): void;
  /** True while a local change of it may not be stored by the server (its marker is on disk). */
  readonly pending: boolean;
}

/** Options of persistDoc. */
export interface PersistOptions {
  /** True for a transaction origin that is the server (its updates are stored there already). */
  isRemote?: (origin: unknown) => boolean;
}

/**
 * Loads `name` from `dir` into `doc`, then appends (and fsyncs) every later update of `doc`.
 * The file is a sequence of frames `u32le length | Yjs update`; a torn last frame (a crash while
 * appending) is ignored: its write never returned, so nobody relied on it.
 */
export function persistDoc(
  dir: string,
  name: string,
  doc: Y.Doc,
  options: PersistOptions = {},
): PersistedDoc {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir, name);
  const marker = markerOf(dir, name);
  const stored = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const frames = readFrames(stored);
  if (frames.length) Y.applyUpdate(doc, Y.mergeUpdates(frames), FROM_DISK);
  // A torn last frame is cut off before anything is appended: glued onto it, every later frame —
  // each fsync'd and relied on — would be unreadable at the next load.
  const whole = frames.reduce((n, f) => n + 4 + f.byteLength, 0);
  if (whole < stored.length) truncateSync(file, whole);
  let fd = openSync(file, 'a', 0o600);
  let appended = frames.length;
  const isRemote = options.isRemote ?? (() => false);
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === FROM_DISK) return;
    // The marker before the frame: a crash between them leaves a marked document with nothing
    // new in it (re-sent for nothing), never a new frame nobody will re-send.
    if (!isRemote(origin) && !existsSync(marker)) markPending(dir, marker);
    if (appended >= COMPACT_AFTER_UPDATES) {
      try {
        // Replaced before the old descriptor is let go: if the snapshot fails (a full disk), the
        // update still goes to the old file below, and the descriptor stays this file's.
        writeSnapshot(file, Y.encodeStateAsUpdate(doc));
        closeSync(fd);
        fd = openSync(file, 'a', 0o600);
        appended = 1;
        return; // the snapshot already holds this update
      } catch {
        appended = 0; // tried again after as many more updates
      }
    }
    writeFrame(fd, update);
    appended++;
  };
  doc.on('update', onUpdate);
  return {
    detach() {
      doc.off('update', onUpdate);
      closeSync(fd);
    },
    get pending() {
      return existsSync(marker);
    },
  };
}

/** Creates the marker and makes its directory entry durable (a failure leaves it to the next update). */
function markPending(dir: string, marker: string): void {
  try {
    closeSync(openSync(marker, 'w', 0o600));
    syncDir(dir);
  } catch {
    // A full disk: the frame below fails too, or the next update tries the marker again.
  }
}

/** The server stored every change of `name` this Viber made: nothing of it needs re-sending. */
export function clearPending(dir: string, name: string): void {
  rmSync(markerOf(dir, name), { force: true });
}

/** The documents in `dir` holding a change the server may not have stored. */
export function listPendingDocs(dir: string): string[] {
  const files = filesIn(dir);
  const tail = SUFFIX + PENDING;
  const docs = new Set(files.filter((f) => f.endsWith(SUFFIX)));
  const names: string[] = [];
  for (const file of files.filter((f) => f.endsWith(tail))) {
    // A marker whose document is gone (removed while a write was in flight) marks nothing.
    if (docs.has(file.slice(0, -PENDING.length)))
      names.push(file.slice(0, -tail.length).replaceAll('.', '/'));
    else rmSync(join(dir, file), { force: true });
  }
  return names;
}

/** The names of the documents kept in `dir`. */
export function listLocalDocs(dir: string): string[] {
  return filesIn(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length).replaceAll('.', '/'));
}

/** The file names in `dir`; none when it does not exist yet. */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Forgets a document this Viber no longer holds (its task or binding was deleted). */
export function removeLocalDoc(dir: string, name: string): void {
  rmSync(markerOf(dir, name), { force: true });
  rmSync(fileOf(dir, name), { force: true });
}

/** One length-prefixed update, as the file holds it. */
function frameOf(update: Uint8Array): Buffer {
  const frame = Buffer.alloc(4 + update.length);
  frame.writeUInt32LE(update.length, 0);
  frame.set(update, 4);
  return frame;
}

/**
 * Appends one frame whole or not at all: a full disk can take part of it, and a torn frame in the
 * middle of the file would hide every frame after it, so the file is cut back to where it was.
 */
function writeFrame(fd: number, update: Uint8Array): void {
  const frame = frameOf(update);
  const size = fstatSync(fd).size;
  try {
    for (let done = 0; done < frame.length;) done += writeSync(fd, frame, done);
    fsyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, size);
    } catch {
      // left torn: a torn last frame is ignored when read
    }
    throw error;
  }
}

/** Replaces the file atomically with one frame holding the whole state. */
function writeSnapshot(file: string, state: Uint8Array): void {
  replaceFile(file, frameOf(state));
}

function readFrames(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32LE(at);
    if (at + 4 + len > buf.length) break;
    out.push(buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}
