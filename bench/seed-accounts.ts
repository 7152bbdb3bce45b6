// Accounts for thousands of users, written straight into the server's store through its own Storage
// class (the same rows signup and onboarding write) before the server starts: signing up 3,000 users
// costs 3,000 Argon2id hashes (~2 minutes on 2 cores), which no figure here measures. The websocket
// still authenticates every token the real way (hash, session or Viber look-up).
import { join } from 'node:path';
import { newId } from '@openviber/shared';
import { hashToken, newToken, SESSION_TTL_MS, TokenKind } from '../sync-server/src/auth/tokens.ts';
import type { Storage } from '../sync-server/src/storage/storage.ts';
import { SqliteStorage } from '../sync-server/src/storage/sqlite-storage.ts';

export interface SeededUser {
  userId: string;
  /** One session token per app device. */
  appTokens: string[];
  viberToken: string;
}

export async function seedUsers(storage: Storage, count: number, appDevices: number): Promise<SeededUser[]> {
  const out: SeededUser[] = [];
  const now = Date.now();
  const tag = `${process.pid}x${now.toString(36)}`;
  for (let i = 0; i < count; i++) {
    const userId = newId<string>('usr');
    await storage.createUser({
      id: userId,
      username: `seed${tag}x${i}`,
      passwordHash: 'none',
      createdAt: now,
    });
    const appTokens: string[] = [];
    for (let d = 0; d < appDevices; d++) {
      const token = newToken(TokenKind.session);
      await storage.createSession(hashToken(token), userId, now + SESSION_TTL_MS, { now, keep: appDevices });
      appTokens.push(token);
    }
    const viberToken = newToken(TokenKind.viber);
    const viberId = newId<string>('vbr');
    await storage.createViber(
      { viberId, userId, name: 'bench', publicKey: 'none', createdAt: now, lastSeenAt: 0 },
      hashToken(viberToken),
    );
    out.push({ userId, appTokens, viberToken });
  }
  return out;
}

/** Seeds the SQLite file a server started with DATA_DIR=`dataDir` opens. */
export async function seedSqlite(dataDir: string, count: number, appDevices: number) {
  const storage = new SqliteStorage(join(dataDir, 'openviber.sqlite'));
  try {
    return await seedUsers(storage, count, appDevices);
  } finally {
    await storage.close();
  }
}

/** Users for the bare server, which checks nothing: made-up ids and tokens. */
export function fakeUsers(count: number, appDevices: number): SeededUser[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: `usr_bare${i}`,
    appTokens: Array.from({ length: appDevices }, () => 'none'),
    viberToken: 'none',
  }));
}
