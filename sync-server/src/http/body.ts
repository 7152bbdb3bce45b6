// Reads a JSON request body: 415 unless it is declared application/json (a cross-site form or
// text/plain post cannot be), 413 past the size limit, 408 if it does not arrive in time, 400 for
// anything that is not JSON or that holds a key reaching an object's prototype (naming the field).
import type { IncomingMessage } from 'node:http';
import { MAX_BODY_BYTES, RESERVED_KEYS } from '@openviber/shared';
import { BODY_READ_TIMEOUT_MS } from '../limits.ts';
import { HttpError } from './http-error.ts';

const isJson = (contentType: string | undefined) =>
  /^application\/json\s*(;|$)/i.test((contentType ?? '').trim());

/** The path of the first `__proto__`/`constructor`/`prototype` key in a parsed body, or null. */
function reservedKeyPath(value: unknown, path: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    const here = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && RESERVED_KEYS.has(key)) return here;
    const found = reservedKeyPath(child, here);
    if (found) return found;
  }
  return null;
}

export async function readJsonBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  timeoutMs = BODY_READ_TIMEOUT_MS,
): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (declared === 0 && !chunked) return {};
  if (!isJson(req.headers['content-type'])) {
    req.resume();
    throw new HttpError(
      'unsupportedMediaType',
      'the request body must be JSON (Content-Type: application/json)',
      {
        field: 'content-type',
      },
    );
  }
  if (declared > limit) {
    req.resume();
    throw new HttpError('tooLarge', `the request body is larger than ${limit} bytes`);
  }
  const text = await readText(req, limit, timeoutMs);
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new HttpError('badJson', 'the request body is not valid JSON', { cause });
  }
  const reserved = reservedKeyPath(body, '');
  if (reserved)
    throw new HttpError('validation', `${reserved}: must not be __proto__, constructor or prototype`, {
      field: reserved,
    });
  return body;
}

/** The body as text; rejects past `limit` bytes, or when it has not fully arrived after `timeoutMs`. */
function readText(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | null, text = '') => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', finish);
      if (error) {
        req.pause(); // the caller answers, then closes the socket
        reject(error);
      } else resolve(text);
    };
    const timer = setTimeout(
      () => finish(new HttpError('timeout', `the request body did not arrive within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new HttpError('tooLarge', `the request body is larger than ${limit} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData).on('end', onEnd).on('error', finish);
  });
}
