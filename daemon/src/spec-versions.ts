// The highest environment spec version this Viber accepted, per environment ([T5]): kept on disk so a
// restart cannot be used to roll a pinned Viber back to an older signed spec.
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './durable-file.ts';

const FILE = 'spec-versions.json';

export class SpecVersions {
  readonly #path: string;
  readonly #versions: Record<string, number>;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.#path = join(stateDir, FILE);
    this.#versions = Object.create(null) as Record<string, number>;
    try {
      const raw: unknown = JSON.parse(readFileSync(this.#path, 'utf8'));
      if (raw && typeof raw === 'object')
        for (const [id, v] of Object.entries(raw))
          if (Number.isSafeInteger(v)) this.#versions[id] = v as number;
    } catch {
      // none yet; a corrupt file cannot be, as it is replaced atomically
    }
  }

  accepted(environmentId: string): number {
    return this.#versions[environmentId] ?? 0;
  }

  /** Records `version` when higher, durably (fsync'd, then renamed over the old file) before returning. */
  accept(environmentId: string, version: number): void {
    if (version <= this.accepted(environmentId)) return;
    this.#versions[environmentId] = version;
    replaceFile(this.#path, JSON.stringify(this.#versions));
  }
}
