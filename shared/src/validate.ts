// Turns schema failures into errors that name the field.
import type { z } from 'zod';
import { ModelError, err, ok, type FieldIssue, type Result } from './result.ts';

/** Parses `input` with `schema`; on failure the error lists each bad field by its dotted path. */
export function validate<T>(schema: z.ZodType<T>, input: unknown, where = ''): Result<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issues = parsed.error.issues.flatMap((issue): FieldIssue[] => {
    const path = [where, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: path ? `${path}.${key}` : key,
        message: 'is not a known field',
      }));
    }
    return [{ field: path, message: describe(issue) }];
  });
  const message = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
  return err(new ModelError('validation_error', message, { issues }));
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
  }
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'too_big' && issue.origin === 'string')
    return `must be at most ${issue.maximum} characters`;
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) return 'is required';
  return issue.message;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
