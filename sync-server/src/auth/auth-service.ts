// Accounts, sessions and token → principal resolution for both the API and the websocket.
import { newId, type Principal, type UserId, type ViberId } from '@openviber/shared';
import type { Storage } from '../storage/storage.ts';
import { HttpError } from '../http/http-error.ts';
import { MAX_SESSIONS_PER_USER } from '../limits.ts';
import { LoginThrottle } from './login-throttle.ts';
import { PasswordGate } from './password-gate.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { SESSION_TTL_MS, TokenKind, hashToken, newToken } from './tokens.ts';

export type AuthedPrincipal = Principal & { tokenHash: string };

/**
 * How long a token's principal is remembered. A reconnect storm authenticates every document of
 * thousands of sockets with a few tokens; each look-up was a SHA-256 and one or two storage queries.
 * Revocation stays immediate: logout and revokeViber go through this class and forget the principals
 * they revoke. An expired session is still accepted for at most this long.
 */
export const PRINCIPAL_CACHE_MS = 10_000;
const PRINCIPAL_CACHE_ENTRIES = 10_000;

// A fixed hash so that an unknown username costs as much as a wrong password (no user enumeration by timing).
const DUMMY_HASH = 'argon2id$19456$2$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AuthService {
  readonly #storage: Storage;
  readonly #throttle: LoginThrottle;
  /** Every password hash goes through it: a bounded number at once ([S14a]). */
  readonly #hashes: PasswordGate;
  readonly #cacheMs: number;
  readonly #principals = new Map<string, { principal: AuthedPrincipal; until: number }>();
  /** Bumped by every revocation: a look-up that began before one does not fill the cache. */
  #revocations = 0;

  /**
   * `cachePrincipalsMs` defaults to PRINCIPAL_CACHE_MS with SQLite, the store of this process alone.
   * A store shared by several processes (PostgreSQL) may be revoked on another one, whose revocation
   * this process would not hear of: nothing is cached there.
   */
  constructor(
    storage: Storage,
    throttle = new LoginThrottle(),
    cachePrincipalsMs = storage.kind === 'sqlite' ? PRINCIPAL_CACHE_MS : 0,
    hashes = new PasswordGate(),
  ) {
    this.#storage = storage;
    this.#throttle = throttle;
    this.#hashes = hashes;
    this.#cacheMs = cachePrincipalsMs;
  }

  async signup(username: string, password: string, clientAddress: string) {
    const attempt = await this.#throttle.signup(clientAddress);
    const user = {
      id: newId<UserId>('usr'),
      username,
      passwordHash: await this.#gated(attempt, clientAddress, () => hashPassword(password)),
      createdAt: Date.now(),
    };
    if (!(await this.#storage.createUser(user))) {
      throw new HttpError('conflict', `the username '${username}' is taken`, { field: 'username' });
    }
    return this.#startSession(user.id, username);
  }

  async login(username: string, password: string, clientAddress: string) {
    // The attempt is admitted (and counted) before the slow password check, and the same way whether
    // or not the name exists; a missing name is checked against a dummy hash ([S14]).
    const attempt = await this.#throttle.begin(username, clientAddress);
    const user = await this.#storage.findUserByUsername(username);
    const valid = await this.#gated(attempt, clientAddress, () =>
      verifyPassword(password, user?.passwordHash ?? DUMMY_HASH),
    );
    if (!user || !valid) throw new HttpError('unauthorized', 'the username or password is wrong');
    await attempt.succeeded();
    return this.#startSession(user.id, user.username);
  }

  /**
   * Checks the password of a signed-in user again (a signing-key reset, [T12]): admitted and counted
   * by the same throttle as a login at that user's name, so a stolen session cannot guess faster.
   */
  async checkPassword(userId: string, password: string, clientAddress: string): Promise<void> {
    const user = await this.#storage.findUserById(userId);
    const attempt = await this.#throttle.begin(user?.username ?? userId, clientAddress);
    const valid = await this.#gated(attempt, clientAddress, () =>
      verifyPassword(password, user?.passwordHash ?? DUMMY_HASH),
    );
    if (!user || !valid) throw new HttpError('unauthorized', 'the password is wrong', { field: 'password' });
    await attempt.succeeded();
  }

  /**
   * A password hash (a check: a missing user against the dummy hash) in its turn at the gate. Refused
   * there (503), nothing was hashed: the throttled attempt (a login, a signup) gives its points back.
   */
  async #gated<T>(
    attempt: { notChecked(): Promise<void> },
    clientAddress: string,
    hash: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.#hashes.run(clientAddress, hash);
    } catch (error) {
      if (error instanceof HttpError && error.kind === 'unavailable') await attempt.notChecked();
      throw error;
    }
  }

  async logout(tokenHash: string) {
    await this.#revoke(
      (p) => p.tokenHash === tokenHash,
      () => this.#storage.deleteSession(tokenHash),
    );
  }

  /** Revokes a Viber's token; false when the user has no such Viber. */
  async revokeViber(userId: string, viberId: string): Promise<boolean> {
    return this.#revoke(
      (p) => p.kind === 'viber' && p.viberId === viberId,
      () => this.#storage.revokeViber(userId, viberId),
    );
  }

  /** The user or Viber a bearer token authenticates, or null. */
  async principalFor(token: string | undefined | null): Promise<AuthedPrincipal | null> {
    if (!token || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const cached = this.#principals.get(tokenHash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const revocations = this.#revocations;
    const principal = await this.#lookUp(token, tokenHash);
    if (principal && this.#cacheMs > 0 && revocations === this.#revocations) {
      if (this.#principals.size >= PRINCIPAL_CACHE_ENTRIES) this.#principals.clear();
      this.#principals.set(tokenHash, { principal, until: Date.now() + this.#cacheMs });
    }
    return principal;
  }

  /** One query when the token's prefix names its kind (every token issued has one), two without. */
  async #lookUp(token: string, tokenHash: string): Promise<AuthedPrincipal | null> {
    if (!token.startsWith(`${TokenKind.viber}_`)) {
      const session = await this.#storage.findSession(tokenHash, Date.now());
      if (session) return { kind: 'user', userId: session.userId as UserId, tokenHash };
      if (token.startsWith(`${TokenKind.session}_`)) return null;
    }
    const viber = await this.#storage.findViberByToken(tokenHash);
    if (viber)
      return { kind: 'viber', userId: viber.userId as UserId, viberId: viber.viberId as ViberId, tokenHash };
    return null;
  }

  /**
   * Stores a revocation, forgetting the cached principals it matches before and after: a look-up
   * that overlapped it either is not cached (the count moved) or is forgotten.
   */
  async #revoke<T>(matches: (p: AuthedPrincipal) => boolean, store: () => Promise<T>): Promise<T> {
    const forget = () => {
      this.#revocations++;
      for (const [hash, { principal }] of this.#principals)
        if (matches(principal)) this.#principals.delete(hash);
    };
    forget();
    try {
      return await store();
    } finally {
      forget();
    }
  }

  async #startSession(userId: string, username: string) {
    const token = newToken(TokenKind.session);
    const now = Date.now();
    await this.#storage.createSession(hashToken(token), userId, now + SESSION_TTL_MS, {
      now,
      keep: MAX_SESSIONS_PER_USER,
    });
    return { token, user: { id: userId, username } };
  }
}
