// Reads a JSON request body: 415 unless it is declared application/json (a cross-site form or
// text/plain post cannot be), 413 past the size limit, 408 if it does not arrive in time, 400 for
// anything that is not JSON, that holds a key reaching an object's prototype, or that nests deeper than
// MAX_BODY_DEPTH (naming the field).
import type { IncomingMessage } from 'node:http';
import { MAX_BODY_BYTES, RESERVED_KEYS } from '@openviber/shared';
import { BODY_READ_TIMEOUT_MS, MAX_BODY_DEPTH } from '../limits.ts';
import { HttpError } from './http-error.ts';

const isJson = (contentType: string | undefined) =>
  /^application\/json\s*(;|$)/i.test((contentType ?? '').trim());

/**
 * The first problem of a parsed body's shape, with the path it is at: a `__proto__`/`constructor`/
 * `prototype` key, or objects nested deeper than MAX_BODY_DEPTH (a walk with its own stack: 100 KB
 * of `[` parses, and a recursive walk of it overflows the call stack).
 */
function shapeProblem(body: unknown): { path: string; message: string } | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH)
      return { path: path || 'body', message: `nested deeper than ${MAX_BODY_DEPTH} levels` };
    const array = Array.isArray(value);
    const entries = Object.entries(value);
    for (const [key] of entries)
      if (!array && RESERVED_KEYS.has(key))
        return {
          path: path ? `${path}.${key}` : key,
          message: 'must not be __proto__, constructor or prototype',
        };
    // Reversed onto the stack, so the first problem in document order is the one named.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const here = array ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      stack.push({ value: child, path: here, depth: depth + 1 });
    }
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
  const problem = shapeProblem(body);
  if (problem)
    throw new HttpError('validation', `${problem.path}: ${problem.message}`, { field: problem.path });
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
