// The Vibers this Viber has seen removed from its workspace, as it recorded them, in
// $VIBER_HOME/state/removed-vibers.json. A re-seal ([X5]) goes to a Viber whose binding verifies,
// and a binding's signature never expires: once a Viber is removed (its key lost or stolen, say), a
// server that later turns hostile could bring back its old signed binding and registry entry, and
// this Viber would re-seal the environment's current secrets — a value rotated since the removal
// included — to the removed key. A removal seen once is remembered here and no re-seal ever goes to
// that Viber again, whatever the workspace says after. (A removal the server withheld from the start
// never reaches this record: README "Known limits".)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './durable-file.ts';

const FILE = 'removed-vibers.json';
/** Removed Viber ids remembered (the newest); a user has at most 100 Vibers at once. */
export const MAX_REMOVED_VIBERS = 10_000;

export class RemovedVibers {
  readonly #file: string;
  /** In the order first seen, oldest first. */
  readonly #ids = new Set<string>();

  constructor(stateDir: string) {
    this.#file = join(stateDir, FILE);
    if (!existsSync(this.#file)) return;
    try {
      const stored: unknown = JSON.parse(readFileSync(this.#file, 'utf8'));
      if (Array.isArray(stored)) for (const id of stored) if (typeof id === 'string') this.#ids.add(id);
    } catch {
      // unreadable (a hand edit): what the workspace's deletions log still holds is recorded again
    }
  }

  has(viberId: string): boolean {
    return this.#ids.has(viberId);
  }

  /** Records `viberIds` (durably, before any re-seal reads it); true when one was new. */
  note(viberIds: Iterable<string>): boolean {
    let added = false;
    for (const id of viberIds) {
      if (this.#ids.has(id)) continue;
      this.#ids.add(id);
      added = true;
    }
    if (!added) return false;
    for (const id of this.#ids) {
      if (this.#ids.size <= MAX_REMOVED_VIBERS) break;
      this.#ids.delete(id);
    }
    mkdirSync(join(this.#file, '..'), { recursive: true, mode: 0o700 });
    replaceFile(this.#file, JSON.stringify([...this.#ids]));
    return true;
  }
}
