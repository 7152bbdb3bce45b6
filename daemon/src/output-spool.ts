// A task's output through a file instead of a pipe. A run keeps only its newest output (bounded), so
// a flood's middle is never read: the process writes into an unlinked file of ours at the speed of
// the page cache, and we read, at our own pace, only what is new — or, when more came than we keep,
// only its end. Through a pipe the same flood runs at the speed we drain it (every chunk copied into
// Node, the writer woken per chunk): 1.3-2× the time of the command to /dev/null here, whatever we do
// with the bytes after. What we have read is given back to the disk (a hole punched into the file),
// so the file holds at most SPOOL_PUNCH_BYTES plus what came since the last poll.
import { execFile } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sinkDelay, type BatchOptions } from './batched-writer.ts';
import { SPOOL_PUNCH_BYTES } from './limits.ts';
import { readFullyAt } from './read-at.ts';
import type { BoundedStream } from './output-stream.ts';

export interface Spool {
  /** The process's stdout and stderr (append-only: their writes interleave in order). */
  readonly writeFd: number;
  /** Starts reading into `out` at `pace`. */
  start(out: BoundedStream, pace: Required<BatchOptions>): void;
  /** Reads what is left, ends `out` and closes the file. The caller has stopped the writers. */
  finish(): void;
}

/** An empty spool file in `dir`, already unlinked: a crash leaves nothing on the disk. */
export function openSpool(
  dir: string,
  punchEveryBytes = SPOOL_PUNCH_BYTES,
  punch: typeof punchHole = punchHole,
): Spool {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${randomUUID()}.out`);
  const writeFd = openSync(path, 'a', 0o600);
  let readFd: number;
  try {
    readFd = openSync(path, 'r');
  } catch (error) {
    closeSync(writeFd);
    throw error;
  } finally {
    unlinkSync(path);
  }
  // The file has no name any more; hole punching reaches it through our own descriptor.
  const byFd = `/proc/${process.pid}/fd/${writeFd}`;
  let out: BoundedStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let offset = 0; // bytes consumed (read or skipped)
  let punched = 0;
  /** The punch in flight: it reaches the file by descriptor number, so that stays open until it ends. */
  let punching: Promise<unknown> | undefined;
  let lastPoll = 0;
  let lastFlush = -Infinity;
  let closed = false;

  /** Reads what is new (only its last window when more came); returns how many bytes were new. */
  const read = (): number => {
    if (!out) return 0;
    const size = fstatSync(readFd).size;
    const fresh = size - offset;
    if (fresh <= 0) return 0;
    let want = fresh;
    if (want > out.windowBytes) {
      out.skip(want - out.windowBytes);
      offset += want - out.windowBytes;
      want = out.windowBytes;
    }
    const buf = Buffer.allocUnsafe(want);
    const got = readFullyAt(readFd, buf, offset);
    offset += got;
    if (got) out.write(got === want ? buf : buf.subarray(0, got));
    return fresh;
  };

  const giveBack = () => {
    const upTo = offset - (offset % 4096);
    if (punching || closed || upTo - punched < punchEveryBytes) return;
    punching = punch(byFd, punched, upTo - punched).then((ok) => {
      punching = undefined;
      if (ok) punched = upTo;
    });
  };

  const poll = (pace: Required<BatchOptions>) => {
    const now = performance.now();
    const fresh = read();
    const wait = sinkDelay(pace, fresh, now - lastPoll, lastFlush, now);
    lastPoll = now;
    if (fresh && wait === 0) {
      lastFlush = now;
      out!.flush();
    }
    giveBack();
  };

  return {
    writeFd,
    start(stream, pace) {
      out = stream;
      lastPoll = performance.now();
      timer = setInterval(() => poll(pace), pace.intervalMs);
    },
    finish() {
      if (closed) return;
      clearInterval(timer);
      try {
        read();
        out?.end();
      } finally {
        closed = true;
        closeSync(readFd);
        // Closed at once, its number could go to another file before a punch in flight opens
        // /proc/self/fd/<n>: the hole would be punched into that file.
        if (punching) void punching.finally(() => closeSync(writeFd));
        else closeSync(writeFd);
      }
    },
  };
}

/** Gives `length` bytes at `offset` of the file back to the disk (util-linux fallocate); false if it cannot. */
export function punchHole(path: string, offset: number, length: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'fallocate',
      ['--punch-hole', '--offset', String(offset), '--length', String(length), path],
      { timeout: 10_000 },
      (error) => resolve(!error),
    );
  });
}

/**
 * Whether output can be spooled in `dir`: holes can be punched there (util-linux present, a file
 * system that supports it — ext4, xfs, btrfs, tmpfs). Otherwise output goes through a pipe as before.
 */
export async function spoolWorks(dir: string): Promise<boolean> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `probe-${randomUUID()}`);
    const fd = openSync(path, 'w', 0o600);
    try {
      const size = 1024 * 1024;
      writeSync(fd, Buffer.alloc(size, 1));
      const before = fstatSync(fd).blocks;
      if (!(await punchHole(path, 0, size))) return false;
      return fstatSync(fd).blocks < before;
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  } catch {
    return false;
  }
}

/** Removes what a crash between opening and unlinking a spool file can leave. */
export function clearSpoolDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) rmSync(join(dir, name), { force: true });
}
