// [P2] Which storage errors mean "the store is unavailable, retry" rather than "bug": the API answers
// them 503 with Retry-After, never 500. PostgreSQL: the connection refused, reset, terminated or timed
// out, SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, starting up) and 53300
// (too many connections). SQLite: SQLITE_BUSY and SQLITE_LOCKED (and their extended codes).

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PG_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const PG_CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Connection terminated unexpectedly/i;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function isUnavailableOne(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE_STATES.has(e.code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
  }
  return typeof e.message === 'string' && PG_CONNECTION_MESSAGES.test(e.message);
}

/** True when the error (or one it wraps, via `cause` or an AggregateError) means the store is unavailable. */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || !error || typeof error !== 'object') return false;
  if (isUnavailableOne(error)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isStoreUnavailable(e, depth + 1)))
    return true;
  return isStoreUnavailable((error as { cause?: unknown }).cause, depth + 1);
}
