// The few HTTP calls the app makes (auth, onboarding tokens); everything else goes through the Yjs documents.
import type { ApiErrorBody } from '@openviber/shared/protocol';

/** An API failure with the server's machine-readable code; `offline` when the server could not be reached. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  constructor(code: string, message: string, status: number, field?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.status = status;
    this.field = field;
  }
}

/** Calls `/api${path}` with JSON in and out; throws ApiRequestError. */
export async function api<T>(
  path: string,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (cause) {
    throw new ApiRequestError(
      'offline',
      'The server cannot be reached. Check your connection and try again.',
      0,
      undefined,
      cause,
    );
  }
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page, say: reported below by status.
  }
  if (!response.ok) {
    const error = (json as ApiErrorBody | undefined)?.error;
    throw new ApiRequestError(
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status}.`,
      response.status,
      error?.field,
    );
  }
  return json as T;
}
