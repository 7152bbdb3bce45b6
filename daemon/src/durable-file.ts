// The one way the daemon replaces a small state file (config, journal, run records, local document
// snapshots, accepted spec versions): a private temp file, fsync'd, renamed over the old one, and the
// directory fsync'd so the rename itself survives a crash. A reader sees the old file or the new one,
// never half of either.
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Replaces `path` with `data` atomically, mode 0600; `durable: false` skips both fsyncs (a hint only). */
export function replaceFile(
  path: string,
  data: string | Uint8Array,
  options: { durable?: boolean } = {},
): void {
  const durable = options.durable ?? true;
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600); // a temp file left by a crash keeps its old mode otherwise
    writeFileSync(fd, data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true }); // a full disk: the half-written copy would only take more of it
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (durable) syncDir(dirname(path));
}

/** Makes a rename or a new file in `dir` durable: the directory entry is on disk too. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
