// Reads a JSON request body with a size limit: 413 past it, 400 for anything that is not JSON.
import type { IncomingMessage } from 'node:http';
import { MAX_BODY_BYTES } from '@openviber/shared';
import { HttpError } from './http-error.ts';

export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new HttpError('tooLarge', `the request body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError('tooLarge', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new HttpError('badJson', 'the request body is not valid JSON', { cause });
  }
}
