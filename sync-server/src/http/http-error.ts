// The server's one error class: an API error kind (code + status) and a message naming the field or thing.
import { ApiError, type ApiErrorKind, type FieldIssue } from '@openviber/shared';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly kind: ApiErrorKind;
  readonly field?: string;
  readonly headers: Record<string, string>;
  constructor(
    kind: ApiErrorKind,
    message: string,
    options: { field?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
  get status(): number {
    return ApiError[this.kind].status;
  }
  get code(): string {
    return ApiError[this.kind].code;
  }
}

/** A 400 naming the first bad field; the message lists all of them. */
export const validationError = (message: string, issues: FieldIssue[] = []) =>
  new HttpError('validation', message, { field: issues[0]?.field });
export const notFound = (what: string) => new HttpError('notFound', `${what} was not found`);

/** Seconds a client should wait before retrying when the store is unavailable ([P2]). */
export const RETRY_AFTER_SECONDS = 2;
/** 503 with Retry-After: the store (database) is unavailable; nothing was changed by this request. */
export const storeUnavailable = (cause: unknown) =>
  new HttpError('unavailable', `the store is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, {
    cause,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
