// Accounts, sessions and token → principal resolution for both the API and the websocket.
import { newId, type Principal, type UserId, type ViberId } from '@openviber/shared';
import type { Storage } from '../storage/storage.ts';
import { HttpError } from '../http/http-error.ts';
import { LoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { SESSION_TTL_MS, TokenKind, hashToken, newToken } from './tokens.ts';

export type AuthedPrincipal = Principal & { tokenHash: string };

// A fixed hash so that an unknown username costs as much as a wrong password (no user enumeration by timing).
const DUMMY_HASH = 'argon2id$19456$2$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AuthService {
  readonly #storage: Storage;
  readonly #throttle: LoginThrottle;

  constructor(storage: Storage, throttle = new LoginThrottle()) {
    this.#storage = storage;
    this.#throttle = throttle;
  }

  async signup(username: string, password: string, clientAddress: string) {
    await this.#throttle.signup(clientAddress);
    const user = {
      id: newId<UserId>('usr'),
      username,
      passwordHash: await hashPassword(password),
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
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
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
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid) throw new HttpError('unauthorized', 'the password is wrong', { field: 'password' });
    await attempt.succeeded();
  }

  async logout(tokenHash: string) {
    await this.#storage.deleteSession(tokenHash);
  }

  /** The user or Viber a bearer token authenticates, or null. */
  async principalFor(token: string | undefined | null): Promise<AuthedPrincipal | null> {
    if (!token || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const session = await this.#storage.findSession(tokenHash, Date.now());
    if (session) return { kind: 'user', userId: session.userId as UserId, tokenHash };
    const viber = await this.#storage.findViberByToken(tokenHash);
    if (viber)
      return { kind: 'viber', userId: viber.userId as UserId, viberId: viber.viberId as ViberId, tokenHash };
    return null;
  }

  async #startSession(userId: string, username: string) {
    const token = newToken(TokenKind.session);
    await this.#storage.createSession(hashToken(token), userId, Date.now() + SESSION_TTL_MS);
    return { token, user: { id: userId, username } };
  }
}
