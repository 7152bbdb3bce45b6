// Reads and validates a JSON body against a shared schema; a 400 names the bad field.
import type { IncomingMessage } from 'node:http';
import { validate } from '@openviber/shared';
import type { z } from 'zod';
import { readJsonBody } from '../http/body.ts';
import { validationError } from '../http/http-error.ts';

export async function parseBody<T>(schema: z.ZodType<T>, req: IncomingMessage): Promise<T> {
  const body = await readJsonBody(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError('the request body must be a JSON object');
  }
  const result = validate(schema, body);
  if (!result.ok) throw validationError(result.error.message, result.error.issues);
  return result.value;
}
