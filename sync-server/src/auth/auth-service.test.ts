// Token → principal: remembered for a short time (a reconnect storm authenticates thousands of
// sockets with a few tokens), and never past a revocation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../storage/sqlite-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { AuthService } from './auth-service.ts';
import { LoginThrottle } from './login-throttle.ts';
import { TokenKind, hashToken, newToken } from './tokens.ts';

type Lookup = 'findSession' | 'findViberByToken';

/** The SQLite storage, counting token look-ups; `gate` holds the next look-up until released. */
function counting(storage: SqliteStorage, kind = storage.kind) {
  const calls: Lookup[] = [];
  let gate: Promise<void> | null = null;
  const proxy = new Proxy(storage, {
    get(target, key) {
      if (key === 'kind') return kind;
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (key !== 'findSession' && key !== 'findViberByToken') return value.bind(target);
      return async (...args: unknown[]) => {
        calls.push(key);
        const waitFor = gate;
        gate = null;
        // Read now, answer later: what a slow store does when a revocation lands meanwhile.
        const answer = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (waitFor) await waitFor;
        return answer;
      };
    },
  }) as Storage;
  return {
    storage: proxy,
    calls,
    holdNext(): () => void {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return release;
    },
  };
}

describe('AuthService principals', () => {
  let dir: string;
  let sqlite: SqliteStorage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'openviber-auth-'));
    sqlite = new SqliteStorage(join(dir, 'openviber.sqlite'));
  });
  afterEach(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const throttle = () => new LoginThrottle({ signupsPerHour: 1_000 });

  async function viberToken(auth: AuthService, userId: string) {
    const token = newToken(TokenKind.viber);
    await sqlite.createViber(
      { viberId: 'vbr_1', userId, name: 'laptop', publicKey: 'k', createdAt: 1, lastSeenAt: 1 },
      hashToken(token),
    );
    return token;
  }

  it('looks a token up once and then remembers it; a Viber token costs one query', async () => {
    const c = counting(sqlite);
    const auth = new AuthService(c.storage, throttle());
    const { token, user } = await auth.signup('alice', 'correct horse battery', '127.0.0.1');
    const viber = await viberToken(auth, user.id);
    for (let i = 0; i < 3; i++) {
      expect(await auth.principalFor(token)).toMatchObject({ kind: 'user', userId: user.id });
      expect(await auth.principalFor(viber)).toMatchObject({ kind: 'viber', viberId: 'vbr_1' });
    }
    expect(c.calls).toEqual(['findSession', 'findViberByToken']);
    expect(await auth.principalFor(newToken(TokenKind.session))).toBeNull();
    expect(c.calls.slice(2)).toEqual(['findSession']);
  });

  it('refuses a remembered token at once after logout or the Viber’s removal', async () => {
    const auth = new AuthService(sqlite, throttle());
    const { token, user } = await auth.signup('alice', 'correct horse battery', '127.0.0.1');
    const viber = await viberToken(auth, user.id);
    expect(await auth.principalFor(token)).not.toBeNull();
    expect(await auth.principalFor(viber)).not.toBeNull();
    await auth.logout(hashToken(token));
    expect(await auth.principalFor(token)).toBeNull();
    expect(await auth.principalFor(viber)).not.toBeNull();
    expect(await auth.revokeViber(user.id, 'vbr_1')).toBe(true);
    expect(await auth.principalFor(viber)).toBeNull();
  });

  it('does not remember a look-up that read the token before a revocation landed', async () => {
    const c = counting(sqlite);
    const auth = new AuthService(c.storage, throttle());
    const { token } = await auth.signup('alice', 'correct horse battery', '127.0.0.1');
    const release = c.holdNext();
    const inFlight = auth.principalFor(token);
    await auth.logout(hashToken(token));
    release();
    // Valid when it was read: this caller may get it, the next one must not.
    expect(await inFlight).not.toBeNull();
    expect(await auth.principalFor(token)).toBeNull();
  });

  it('remembers nothing with a store other processes share (their revocations are not heard here)', async () => {
    const c = counting(sqlite, 'postgres');
    const auth = new AuthService(c.storage, throttle());
    const { token } = await auth.signup('alice', 'correct horse battery', '127.0.0.1');
    await auth.principalFor(token);
    await auth.principalFor(token);
    expect(c.calls).toEqual(['findSession', 'findSession']);
  });
});
