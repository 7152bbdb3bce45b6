// The revision a checkout of ours is at, and whether its commit is there, read from its files: a
// process less through the sandbox (~8-13 ms each) after a clone or fetch, and at the health check.
// Only the plain layout git writes for a clone is read — `.git/HEAD` naming a branch whose ref is
// loose or packed, or a detached HEAD; the commit as a loose object or in a pack's index (version 2).
// Anything else (a `.git` file, reftable, a symbolic ref elsewhere, a deltified or large-offset
// entry, alternates, a multi-pack index alone) answers null, and the caller asks git, which decides.
//
// A setup or a task may have written any of these files. Each is read below the checkout with no
// link on the way, opened without following one (O_NOFOLLOW), only when it is a regular file, and
// within a size: a `HEAD` made a link to /dev/zero, a fifo or the Viber's key pair is not followed.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync, constants as zlib } from 'node:zlib';
import { linkFreeBelow } from './confined-files.ts';
import { readFullyAt } from './read-at.ts';

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const BRANCH_REF = /^ref: (refs\/heads\/[A-Za-z0-9._/-]+)$/;
/** HEAD or a loose ref: a line. */
const MAX_REF_BYTES = 4_096;
/** packed-refs: a line per ref; a repository with 100,000 tags has ~10 MB. */
const MAX_PACKED_REFS_BYTES = 64 * 1024 * 1024;
/** What of a loose object is read: its zlib stream's first bytes hold the header ("commit 231\0"). */
const LOOSE_HEAD_BYTES = 64;
/** Pack indexes looked at; a clone has one, a repository fetched into for years a few dozen. */
const MAX_PACKS = 256;
const IDX_MAGIC = 0xff744f63;
/** A pack entry's type (the 3 bits after its first byte's continuation bit): 1 is a commit. */
const PACK_COMMIT = 1;

/** An open regular file below `root` reached without a link; null when missing, a link, or anything else. */
function openBelow(root: string, path: string): { fd: number; size: number } | null {
  if (!linkFreeBelow(root, path)) return null;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    return null;
  }
  return { fd, size: stat.size };
}

/** `length` bytes at `position` (fewer at the file's end). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  return buffer.subarray(0, readFullyAt(fd, buffer, position));
}

/** A whole small file below `root` as text; null when it is missing, no plain file, or larger than `max`. */
function readTextBelow(root: string, path: string, max: number): string | null {
  const file = openBelow(root, path);
  if (!file) return null;
  try {
    return file.size <= max ? readAt(file.fd, 0, file.size).toString('utf8') : null;
  } finally {
    closeSync(file.fd);
  }
}

/** `.git` of `checkout`, when it is a directory (not a link, not a worktree's `.git` file). */
function gitDirOf(checkout: string): string | null {
  const gitDir = join(checkout, '.git');
  try {
    return lstatSync(gitDir).isDirectory() ? gitDir : null;
  } catch {
    return null;
  }
}

export function readHeadRevision(checkout: string): string | null {
  const gitDir = gitDirOf(checkout);
  if (!gitDir) return null;
  const head = readTextBelow(checkout, join(gitDir, 'HEAD'), MAX_REF_BYTES)?.trim();
  if (!head) return null;
  if (OBJECT_ID.test(head)) return head;
  const ref = BRANCH_REF.exec(head)?.[1];
  if (!ref || ref.split('/').some((part) => part === '..' || part === '.' || part === '')) return null;
  const loose = readTextBelow(checkout, join(gitDir, ref), MAX_REF_BYTES)?.trim();
  if (loose) return OBJECT_ID.test(loose) ? loose : null;
  const packed = readTextBelow(checkout, join(gitDir, 'packed-refs'), MAX_PACKED_REFS_BYTES);
  for (const line of packed?.split('\n') ?? []) {
    const [id, name] = line.split(' ');
    if (name === ref) return OBJECT_ID.test(id) ? id : null;
  }
  return null;
}

/** True when the loose object `id` is there and is a commit; null when there is no such file. */
function looseIsCommit(checkout: string, gitDir: string, id: string): boolean | null {
  const file = openBelow(checkout, join(gitDir, 'objects', id.slice(0, 2), id.slice(2)));
  if (!file) return null;
  try {
    const start = inflateSync(readAt(file.fd, 0, LOOSE_HEAD_BYTES), { finishFlush: zlib.Z_SYNC_FLUSH });
    return start.subarray(0, 7).toString('latin1') === 'commit ';
  } catch {
    return false; // not a zlib stream: git would not read it either
  } finally {
    closeSync(file.fd);
  }
}

/**
 * The type of object `id` in the pack whose version-2 index is `idxPath`: its entry's type bits, or
 * null when the index does not list it (or is not one this reads: another version, a large offset).
 */
function packedType(checkout: string, idxPath: string, id: Buffer): number | null {
  const idx = openBelow(checkout, idxPath);
  if (!idx) return null;
  try {
    const head = readAt(idx.fd, 0, 8 + 256 * 4);
    if (head.length < 8 + 256 * 4 || head.readUInt32BE(0) !== IDX_MAGIC || head.readUInt32BE(4) !== 2)
      return null;
    const fanout = (byte: number) => (byte < 0 ? 0 : head.readUInt32BE(8 + byte * 4));
    const count = fanout(255);
    const hashBytes = id.length;
    const names = 8 + 256 * 4;
    const offsets = names + count * (hashBytes + 4); // past the names and their CRCs
    if (idx.size < offsets + count * 4) return null;
    // The names with this first byte, sorted: a binary search over them.
    let lo = fanout(id[0]! - 1);
    let hi = fanout(id[0]!);
    if (lo > hi || hi > count) return null;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = readAt(idx.fd, names + mid * hashBytes, hashBytes).compare(id);
      if (order === 0) {
        const offset = readAt(idx.fd, offsets + mid * 4, 4).readUInt32BE(0);
        if (offset & 0x80000000) return null; // in the large-offset table: a pack over 2 GB
        const pack = openBelow(checkout, idxPath.replace(/\.idx$/, '.pack'));
        if (!pack) return null;
        try {
          const entry = readAt(pack.fd, offset, 1);
          return entry.length ? (entry[0]! >> 4) & 7 : null;
        } finally {
          closeSync(pack.fd);
        }
      }
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return null;
  } finally {
    closeSync(idx.fd);
  }
}

/**
 * HEAD's revision when HEAD names a commit whose object is in the checkout's own object store —
 * what `git rev-parse --verify HEAD^{commit}` answers there; null when that is not plain from the
 * files (the caller asks git, which may still find it: a deltified or alternate object, say).
 */
export function readHeadCommit(checkout: string): string | null {
  const revision = readHeadRevision(checkout);
  const gitDir = revision && gitDirOf(checkout);
  if (!revision || !gitDir) return null;
  const loose = looseIsCommit(checkout, gitDir, revision);
  if (loose !== null) return loose ? revision : null;
  const packDir = join(gitDir, 'objects', 'pack');
  if (!linkFreeBelow(checkout, join(packDir, 'x'))) return null;
  let indexes: string[];
  try {
    indexes = readdirSync(packDir).filter((name) => /^pack-[0-9a-f]+\.idx$/.test(name));
  } catch {
    return null;
  }
  const id = Buffer.from(revision, 'hex');
  for (const name of indexes.slice(0, MAX_PACKS)) {
    const type = packedType(checkout, join(packDir, name), id);
    if (type !== null) return type === PACK_COMMIT ? revision : null;
  }
  return null;
}
