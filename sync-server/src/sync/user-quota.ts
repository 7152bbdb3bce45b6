// Documents and bytes stored per user (MAX_DOCS_PER_USER, MAX_BYTES_PER_USER): a signed-up stranger
// must not fill the disk. Stored usage comes from storage (refreshed every REFRESH_MS); what arrived
// since (not yet stored: stores are debounced up to 10 s) is counted over the last two refresh
// windows — bytes received, and distinct documents opened for writing — so the estimate errs on the
// side of refusing a little early, never late. Only at the edge is a document's existence checked.
//
// Updates never wait for storage: a user's first document (at authentication) waits for their usage
// once; after that an update is checked against the usage in hand and, when that is older than
// REFRESH_MS, starts a refresh it does not wait for. Awaiting it put a storage query in front of one
// update per user every 15 s — and every later message of that socket, which Hocuspocus handles in
// order: a round trip to PostgreSQL, and under load the whole query queue (bench/ANALYSIS.md).
import { userDocPrefix } from '@openviber/shared';
import type { Storage } from '../storage/storage.ts';

const REFRESH_MS = 15_000;
/** After a failed refresh (storage down), the usage in hand is used this long before trying again. */
const RETRY_MS = 2_000;

export interface QuotaLimits {
  documentsPerUser: number;
  bytesPerUser: number;
}

/** A refusal Hocuspocus passes to the client as the reason (permission denied / connection closed). */
export class QuotaError extends Error {
  override readonly name = 'QuotaError';
  /** Close code sent when an update is refused: 4413, "too large" in the 4xxx application range. */
  readonly code = 4413;
  readonly reason: string;
  constructor(message: string) {
    super(message);
    this.reason = message;
  }
}

interface Usage {
  documents: number;
  bytes: number;
  at: number;
  /** Bytes received in this refresh window and the one before. */
  received: number;
  receivedBefore: number;
  /** Documents opened for writing in this refresh window and the one before. */
  opened: Set<string>;
  openedBefore: Set<string>;
  /** No background refresh before this (set after a failed one). */
  retryAt: number;
}

export class UserQuota {
  readonly #storage: Storage;
  readonly #limits: QuotaLimits;
  readonly #usage = new Map<string, Usage>();
  readonly #refreshing = new Map<string, Promise<Usage>>();

  constructor(storage: Storage, limits: QuotaLimits) {
    this.#storage = storage;
    this.#limits = limits;
  }

  /** The user's usage; concurrent callers share one refresh (each must count into the same sets). */
  #current(userId: string): Promise<Usage> {
    const known = this.#usage.get(userId);
    if (known && Date.now() - known.at < REFRESH_MS) return Promise.resolve(known);
    return this.#refreshOnce(userId, known);
  }

  #refreshOnce(userId: string, known: Usage | undefined): Promise<Usage> {
    let pending = this.#refreshing.get(userId);
    if (!pending) {
      pending = this.#refresh(userId, known).finally(() => this.#refreshing.delete(userId));
      this.#refreshing.set(userId, pending);
    }
    return pending;
  }

  /**
   * The usage in hand, without waiting for storage: a stale one starts a refresh in the background
   * (the next callers get its result). Only a user with no usage at all waits for one.
   */
  #inHand(userId: string): Usage | Promise<Usage> {
    const known = this.#usage.get(userId);
    if (!known) return this.#current(userId);
    const now = Date.now();
    if (now - known.at >= REFRESH_MS && now >= known.retryAt)
      this.#refreshOnce(userId, known).catch(() => {
        // Storage is down: keep counting on the usage in hand, and try again a little later.
        known.retryAt = Date.now() + RETRY_MS;
      });
    return known;
  }

  async #refresh(userId: string, known: Usage | undefined): Promise<Usage> {
    const stored = await this.#storage.documentUsage(userDocPrefix(userId));
    const usage: Usage = {
      ...stored,
      at: Date.now(),
      received: 0,
      receivedBefore: known?.received ?? 0,
      opened: new Set(),
      openedBefore: known?.opened ?? new Set(),
      retryAt: 0,
    };
    this.#usage.set(userId, usage);
    if (this.#usage.size > 10_000) this.#forgetOld();
    return usage;
  }

  /**
   * Throws a QuotaError when the user may not open `documentName` for writing: their bytes are
   * spent, or their document count is and this document is not one of them yet.
   */
  async admitDocument(userId: string, documentName: string, exists: () => Promise<boolean>): Promise<void> {
    const usage = await this.#current(userId);
    if (usage.bytes + usage.received + usage.receivedBefore >= this.#limits.bytesPerUser)
      throw new QuotaError(`storage quota reached: at most ${this.#limits.bytesPerUser} bytes per user`);
    if (usage.opened.has(documentName) || usage.openedBefore.has(documentName)) return;
    const estimate = usage.documents + usage.opened.size + usage.openedBefore.size;
    if (estimate >= this.#limits.documentsPerUser && !(await exists()))
      throw new QuotaError(
        `document quota reached: at most ${this.#limits.documentsPerUser} documents per user`,
      );
    usage.opened.add(documentName);
  }

  /**
   * Counts `bytes` a writer sent; throws a QuotaError (and counts nothing) when they would pass the
   * quota. Waits for storage only for a user it has no usage for (never after their authentication).
   */
  async admitBytes(userId: string, bytes: number): Promise<void> {
    const inHand = this.#inHand(userId);
    const usage = inHand instanceof Promise ? await inHand : inHand;
    if (usage.bytes + usage.received + usage.receivedBefore + bytes > this.#limits.bytesPerUser)
      throw new QuotaError(`storage quota reached: at most ${this.#limits.bytesPerUser} bytes per user`);
    usage.received += bytes;
  }

  #forgetOld(): void {
    const old = Date.now() - 2 * REFRESH_MS;
    for (const [userId, usage] of this.#usage) if (usage.at < old) this.#usage.delete(userId);
  }
}
