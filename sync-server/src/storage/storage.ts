// The persistence port: Yjs documents, users, sessions, onboarding tokens and Viber credentials.
// SQLite (embedded default) and PostgreSQL implement it and pass one acceptance suite.
import type * as Y from 'yjs';

/** What a new session or token keeps of its user's others: none expired at `now`, `keep` at most. */
export interface SessionBound {
  now: number;
  keep: number;
}

export interface UserRow {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: number;
}

export interface ViberCredential {
  viberId: string;
  userId: string;
  name: string;
  publicKey: string;
  createdAt: number;
  lastSeenAt: number;
}

export type ConsumeResult =
  { ok: true; userId: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export interface DocumentUsage {
  documents: number;
  bytes: number;
}

export interface StoreOptions {
  /** No caller waits on this store (see storeDocument). */
  background?: boolean;
  /**
   * The state's Yjs snapshot (Y.snapshot of the document it was encoded from, at that moment); given
   * only to a storage that `usesSnapshots`.
   */
  snapshot?: Y.Snapshot;
}

export interface Storage {
  readonly kind: string;
  /**
   * The storage reads each store's snapshot (PostgreSQL: a store that holds the stored state is
   * written without a merge). Elsewhere the snapshot is not taken: it is work on every store's path.
   */
  readonly usesSnapshots?: boolean;
  /** The stored state of a document, or null if it was never stored. */
  fetchDocument(name: string): Promise<Uint8Array | null>;
  /**
   * Stores a document's full state atomically: a crash mid-write leaves the previous state. A
   * `background` store is one no caller waits on (the debounced store of live edits): a storage may
   * hold it a little longer to write it together with others (PostgreSQL: STORE_BACKGROUND_WINDOW_MS).
   */
  storeDocument(name: string, state: Uint8Array, options?: StoreOptions): Promise<void>;
  /** A caller now waits on the background store of `name` in flight: it is written without further wait. */
  expedite?(name: string): void;
  /**
   * For each prefix, how many documents whose name starts with it are stored and their bytes
   * together, in the order given: one query for many users (the quota refreshes them in batches).
   */
  documentUsage(prefixes: readonly string[]): Promise<DocumentUsage[]>;
  /** The names of every stored document starting with `prefix` (a user's `u/<uid>/`), sorted. */
  listDocuments(prefix: string): Promise<string[]>;
  /** Removes the named documents (missing ones are skipped) in one transaction; how many were removed. */
  deleteDocuments(names: readonly string[]): Promise<number>;

  /** False when the username is taken. */
  createUser(user: UserRow): Promise<boolean>;
  findUserByUsername(username: string): Promise<UserRow | null>;
  findUserById(id: string): Promise<UserRow | null>;
  /** The user's signing public key ([T7]), or null while none is set (or no such user). */
  getSigningKey(userId: string): Promise<string | null>;
  /** Sets the signing key only if the stored one is still `expected` (compare-and-set); false otherwise. */
  setSigningKey(userId: string, publicKey: string, expected: string | null): Promise<boolean>;

  /** Adds a session; drops the user's ones expired at `now` and all but the newest `keep`. */
  createSession(tokenHash: string, userId: string, expiresAt: number, bound: SessionBound): Promise<void>;
  /** The session's user, if the token is known and not expired at `now`. */
  findSession(tokenHash: string, now: number): Promise<{ userId: string } | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Of `tokenHashes`, those of a session not expired at `now` or of a Viber not revoked. */
  liveTokenHashes(tokenHashes: readonly string[], now: number): Promise<Set<string>>;

  /** Adds a token; drops the user's ones expired at `now` and all but the newest `keep` (used or not). */
  createOnboardingToken(
    tokenHash: string,
    userId: string,
    expiresAt: number,
    bound: SessionBound,
  ): Promise<void>;
  /** Uses the token up, atomically: of two concurrent calls one succeeds. */
  consumeOnboardingToken(tokenHash: string, now: number): Promise<ConsumeResult>;

  createViber(credential: ViberCredential, tokenHash: string): Promise<void>;
  /** The Viber a token authenticates; null once revoked. */
  findViberByToken(tokenHash: string): Promise<ViberCredential | null>;
  listVibers(userId: string): Promise<ViberCredential[]>;
  /** Revokes the Viber's credentials (its row goes); false if the user has no such Viber. */
  revokeViber(userId: string, viberId: string): Promise<boolean>;
  touchViber(viberId: string, at: number): Promise<void>;

  close(): Promise<void>;
}
