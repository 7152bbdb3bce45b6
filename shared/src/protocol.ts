// Names shared by the server, the app and the daemon: the API's error codes, paths and defaults.

/** The version every part reports (GET /api/health, the daemon's health). */
export const VERSION = '0.1.0';
/** Hocuspocus's websocket endpoint, on the same port as the API. */
export const SYNC_PATH = '/sync';
/** Websocket close code of a document whose change a limit refused (its reason names the limit). */
export const LIMIT_CLOSE_CODE = 4413;
const LIMIT_REASON_PREFIX = `${LIMIT_CLOSE_CODE} `;

/**
 * A limit's refusal as the server words it: `4413 <the limit and its value>`. Hocuspocus closes one
 * document of a socket with a message that carries a reason and no code (its provider reports code
 * 1000), so the code travels at the start of the reason, for the app and the Viber to tell a limit
 * (wait, say why) from any other close (reconnect at once).
 */
export function limitReason(message: string): string {
  return `${LIMIT_REASON_PREFIX}${message}`;
}

/** The limit's words when `reason` is a limit's refusal (see limitReason), else null. */
export function readLimitReason(reason: string | undefined): string | null {
  return reason?.startsWith(LIMIT_REASON_PREFIX) ? reason.slice(LIMIT_REASON_PREFIX.length) : null;
}
export const DEFAULT_PORT = 4321;
export const DEFAULT_HOST = '127.0.0.1';

/** Machine-readable API error codes, each with its HTTP status. */
export const ApiError = {
  /** 400: the body or a parameter failed validation; the message names the field. */
  validation: { code: 'validation_error', status: 400 },
  /** 400: the body is not JSON. */
  badJson: { code: 'invalid_json', status: 400 },
  /** 401: no token, or an unknown, expired or revoked one. */
  unauthorized: { code: 'unauthorized', status: 401 },
  /** 403: the token is valid but may not do this (a Viber token on a user route, say). */
  forbidden: { code: 'forbidden', status: 403 },
  /** 404: no such route, or no such thing owned by the caller. */
  notFound: { code: 'not_found', status: 404 },
  /** The path exists but not with this method; the response's `Allow` lists the ones it has. */
  methodNotAllowed: { code: 'method_not_allowed', status: 405 },
  /** 409: the request conflicts with what exists (username taken, token already used). */
  conflict: { code: 'conflict', status: 409 },
  /** 413: the body is larger than MAX_BODY_BYTES. */
  tooLarge: { code: 'payload_too_large', status: 413 },
  /** 415: a request body that is not `application/json`. */
  unsupportedMediaType: { code: 'unsupported_media_type', status: 415 },
  /** 408: the request body did not arrive within BODY_READ_TIMEOUT_MS. */
  timeout: { code: 'request_timeout', status: 408 },
  /** 429: too many failed attempts; retry later. */
  rateLimited: { code: 'rate_limited', status: 429 },
  /** 507: the caller's storage quota (MAX_DOCS_PER_USER / MAX_BYTES_PER_USER) is spent; nothing was written. */
  quota: { code: 'quota_exceeded', status: 507 },
  /** 503: the store is unavailable (database down or busy); retry after the `Retry-After` seconds. */
  unavailable: { code: 'unavailable', status: 503 },
  /** 500: a bug; the message never carries internals. */
  internal: { code: 'internal_error', status: 500 },
} as const;
export type ApiErrorKind = keyof typeof ApiError;

/** The body of every error response. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}
