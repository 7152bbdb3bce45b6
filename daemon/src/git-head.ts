// The revision a checkout of ours is at, read from its files: a process less (through the sandbox,
// ~8 ms) after a clone or fetch, and at the health check. Only the plain layout git writes for a
// fresh clone is read — `.git/HEAD` naming a branch whose ref is loose or packed, or a detached
// HEAD; anything else (a `.git` file, reftable, a symbolic ref elsewhere) answers null, and the
// caller asks git.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const BRANCH_REF = /^ref: (refs\/heads\/[A-Za-z0-9._/-]+)$/;

export function readHeadRevision(checkout: string): string | null {
  const gitDir = join(checkout, '.git');
  try {
    if (!statSync(gitDir).isDirectory()) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (OBJECT_ID.test(head)) return head;
    const ref = BRANCH_REF.exec(head)?.[1];
    if (!ref || ref.split('/').some((part) => part === '..' || part === '')) return null;
    let loose = '';
    try {
      loose = readFileSync(join(gitDir, ref), 'utf8').trim();
    } catch {
      // not loose: packed below
    }
    if (loose) return OBJECT_ID.test(loose) ? loose : null;
    for (const line of readFileSync(join(gitDir, 'packed-refs'), 'utf8').split('\n')) {
      const [id, name] = line.split(' ');
      if (name === ref) return OBJECT_ID.test(id) ? id : null;
    }
    return null;
  } catch {
    return null;
  }
}
