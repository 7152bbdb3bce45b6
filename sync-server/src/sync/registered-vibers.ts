// [S10] A user's devices open documents only of Vibers the user registered (the server's table, not
// the workspace's list, which the user writes): a document of an id never onboarded would be an
// empty one made for nothing. Known ids are cached a while per user; an id not in the cache is
// looked up before it is refused (a Viber onboarded a moment ago), so only a refusal costs a query.
import { parseDocName } from '@openviber/shared';
import type { AuthedPrincipal } from '../auth/auth-service.ts';
import type { Storage } from '../storage/storage.ts';

const CACHE_MS = 10_000;
const MAX_CACHED_USERS = 10_000;

export class RegisteredVibers {
  readonly #storage: Storage;
  readonly #known = new Map<string, { ids: Set<string>; at: number }>();

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** False when a user's device opens a document of a Viber id the user has not registered. */
  async admits(principal: AuthedPrincipal, documentName: string): Promise<boolean> {
    if (principal.kind !== 'user') return true;
    const ref = parseDocName(documentName);
    if (!ref || !('viberId' in ref)) return true;
    const known = this.#known.get(principal.userId);
    if (known && Date.now() - known.at < CACHE_MS && known.ids.has(ref.viberId)) return true;
    const ids = new Set((await this.#storage.listVibers(principal.userId)).map((v) => v.viberId));
    if (this.#known.size >= MAX_CACHED_USERS) this.#known.clear();
    this.#known.set(principal.userId, { ids, at: Date.now() });
    return ids.has(ref.viberId);
  }
}
