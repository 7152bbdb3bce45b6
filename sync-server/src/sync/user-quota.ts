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
//
// Refreshes share storage queries: one a user waits for goes out on the next turn of the event loop,
// with every other refresh due by then; background ones wait up to REFRESH_BATCH_MS for company. At
// 3,000 writing users a process asked for one user's usage ~150 times a second, each a statement
// planned and answered alone (bench/ANALYSIS.md, "2 processes"); now ~10 statements a second do it.
import { LIMIT_CLOSE_CODE, limitReason, userDocPrefix } from '@openviber/shared';
import type { DocumentUsage, Storage } from '../storage/storage.ts';

const REFRESH_MS = 15_000;
/** After a failed refresh (storage down), the usage in hand is used this long before trying again. */
const RETRY_MS = 2_000;
/** How long a background refresh waits for others to share its storage query (ms). */
export const REFRESH_BATCH_MS = 100;
/** At most this many users' usage in one storage query (more wait for the next, right after). */
export const MAX_REFRESH_BATCH = 500;

export interface QuotaLimits {
  documentsPerUser: number;
  bytesPerUser: number;
}

/**
 * A refusal Hocuspocus passes to the client as the reason (permission denied / the document closed):
 * `4413 <message>` (limitReason), since a document's close reaches the client without its code.
 */
export class QuotaError extends Error {
  override readonly name = 'QuotaError';
  /** Close code sent when an update is refused: 4413, "too large" in the 4xxx application range. */
  readonly code = LIMIT_CLOSE_CODE;
  readonly reason: string;
  constructor(message: string) {
    super(message);
    this.reason = limitReason(message);
  }
}

interface Queued {
  known: Usage | undefined;
  resolve: (usage: Usage) => void;
  reject: (error: unknown) => void;
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
  /** Refreshes not yet sent to storage, by user. */
  readonly #queued = new Map<string, Queued>();
  #batchTimer: NodeJS.Timeout | undefined;
  #batchSoon = false;

  constructor(storage: Storage, limits: QuotaLimits) {
    this.#storage = storage;
    this.#limits = limits;
  }

  /** The user's usage; concurrent callers share one refresh (each must count into the same sets). */
  #current(userId: string): Promise<Usage> {
    const known = this.#usage.get(userId);
    if (known && Date.now() - known.at < REFRESH_MS) return Promise.resolve(known);
    return this.#refreshOnce(userId, known, true);
  }

  /** One refresh per user at a time; `waiting`: a caller waits for it, so its batch goes out now. */
  #refreshOnce(userId: string, known: Usage | undefined, waiting: boolean): Promise<Usage> {
    let pending = this.#refreshing.get(userId);
    if (!pending) {
      pending = new Promise<Usage>((resolve, reject) =>
        this.#queued.set(userId, { known, resolve, reject }),
      ).finally(() => this.#refreshing.delete(userId));
      this.#refreshing.set(userId, pending);
    }
    this.#scheduleBatch(waiting);
    return pending;
  }

  #scheduleBatch(now: boolean): void {
    if (this.#queued.size === 0) return;
    if (now) {
      if (this.#batchSoon) return;
      this.#batchSoon = true;
      setImmediate(() => {
        this.#batchSoon = false;
        this.#sendBatch();
      });
      return;
    }
    this.#batchTimer ??= setTimeout(() => this.#sendBatch(), REFRESH_BATCH_MS).unref();
  }

  /** Sends the queued refreshes (up to MAX_REFRESH_BATCH) to storage in one query. */
  #sendBatch(): void {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    const batch = [...this.#queued].slice(0, MAX_REFRESH_BATCH);
    for (const [userId] of batch) this.#queued.delete(userId);
    this.#scheduleBatch(true); // the rest, if the batch was full
    if (batch.length === 0) return;
    this.#storage.documentUsage(batch.map(([userId]) => userDocPrefix(userId))).then(
      (stored) =>
        batch.forEach(([userId, queued], i) => {
          if (stored[i]) queued.resolve(this.#refreshed(userId, queued.known, stored[i]));
          else queued.reject(new Error(`storage answered ${stored.length} usages for ${batch.length} users`));
        }),
      (error: unknown) => batch.forEach(([, queued]) => queued.reject(error)),
    );
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
      this.#refreshOnce(userId, known, false).catch(() => {
        // Storage is down: keep counting on the usage in hand, and try again a little later.
        known.retryAt = Date.now() + RETRY_MS;
      });
    return known;
  }

  #refreshed(userId: string, known: Usage | undefined, stored: DocumentUsage): Usage {
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

  /** Counts `bytes` already written for the user (an API write, admitted with admitDocument first). */
  countBytes(userId: string, bytes: number): void {
    const usage = this.#usage.get(userId);
    if (usage) usage.received += bytes;
  }

  #forgetOld(): void {
    const old = Date.now() - 2 * REFRESH_MS;
    for (const [userId, usage] of this.#usage) if (usage.at < old) this.#usage.delete(userId);
  }
}
