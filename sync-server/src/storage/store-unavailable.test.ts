// [P2] Real errors from a refused PostgreSQL connection and a locked SQLite file are "unavailable";
// a constraint violation or a bug is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../testing/pg-redis.ts';
import { isStoreUnavailable } from './store-unavailable.ts';

const caught = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};

describe('[P2] isStoreUnavailable', () => {
  it('a PostgreSQL connection refused is unavailable', async () => {
    const port = await freePort();
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    const error = await caught(() => pool.query('SELECT 1'));
    await pool.end();
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it('SQLite busy (another connection holds the write lock) is unavailable; a constraint error is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openviber-busy-'));
    try {
      const file = join(dir, 'db.sqlite');
      const a = new DatabaseSync(file);
      a.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY)');
      const b = new DatabaseSync(file);
      b.exec('PRAGMA busy_timeout = 0');
      a.exec('BEGIN IMMEDIATE');
      const busy = await caught(() => b.exec("INSERT INTO t VALUES ('x')"));
      a.exec('COMMIT');
      expect(isStoreUnavailable(busy)).toBe(true);
      a.exec("INSERT INTO t VALUES ('y')");
      const constraint = await caught(() => a.exec("INSERT INTO t VALUES ('y')"));
      expect(isStoreUnavailable(constraint)).toBe(false);
      a.close();
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks through cause and AggregateError; ordinary errors are not unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isStoreUnavailable(new Error('wrapped', { cause: refused }))).toBe(true);
    expect(isStoreUnavailable(new AggregateError([new Error('x'), refused]))).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isStoreUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isStoreUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
  });
});
