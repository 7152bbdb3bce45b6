// Row → record mapping shared by the SQL backends (same column names in SQLite and PostgreSQL).
import type { UserRow, ViberCredential } from './storage.ts';

export type Row = Record<string, unknown>;

export const toViber = (r: Row): ViberCredential => ({
  viberId: r.id as string,
  userId: r.user_id as string,
  name: r.name as string,
  publicKey: r.public_key as string,
  createdAt: Number(r.created_at),
  lastSeenAt: Number(r.last_seen_at),
});

export const toUser = (r: Row): UserRow => ({
  id: r.id as string,
  username: r.username as string,
  passwordHash: r.password_hash as string,
  createdAt: Number(r.created_at),
});
