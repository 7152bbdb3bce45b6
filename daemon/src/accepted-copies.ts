// The re-seal copies this pinned Viber accepted ([T6]), one per secret: a copy that a binding the user
// signed vouched for stays usable when that binding is later removed, or unsigned for a moment by a
// Prepare, because the copy itself cannot change (any other bytes are another copy, checked afresh).
// Kept on disk like the accepted spec versions, so a restart does not forget it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './durable-file.ts';

const FILE = 'accepted-copies.json';

const digest = (copy: string) => createHash('sha256').update(copy).digest('base64');

export class AcceptedCopies {
  readonly #path: string;
  readonly #copies: Record<string, string>;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.#path = join(stateDir, FILE);
    this.#copies = Object.create(null) as Record<string, string>;
    try {
      const raw: unknown = JSON.parse(readFileSync(this.#path, 'utf8'));
      if (raw && typeof raw === 'object')
        for (const [id, v] of Object.entries(raw)) if (typeof v === 'string') this.#copies[id] = v;
    } catch {
      // none yet; a corrupt file cannot be, as it is replaced atomically
    }
  }

  /** Is `copy` the one this Viber accepted for the secret `key` of `environmentId`? */
  has(environmentId: string, key: string, copy: string): boolean {
    return this.#copies[`${environmentId}/${key}`] === digest(copy);
  }

  /** Records `copy` as the accepted one for that secret, durably, before returning. */
  accept(environmentId: string, key: string, copy: string): void {
    if (this.has(environmentId, key, copy)) return;
    this.#copies[`${environmentId}/${key}`] = digest(copy);
    replaceFile(this.#path, JSON.stringify(this.#copies));
  }
}
