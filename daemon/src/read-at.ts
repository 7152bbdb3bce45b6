// A positioned read that fills its buffer: readSync may return fewer bytes than asked before the
// end (a signal, a network file system), and only 0 means the end of the file.
import { readSync } from 'node:fs';

/** Reads into all of `buffer` from `position` of `fd`; returns how many bytes came (fewer at the end). */
export function readFullyAt(fd: number, buffer: Buffer, position: number): number {
  let got = 0;
  while (got < buffer.length) {
    const n = readSync(fd, buffer, got, buffer.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
