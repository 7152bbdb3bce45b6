// Small helpers for entities stored as nested Y.Maps (one key per field, so field edits merge).
import * as Y from 'yjs';
import type { z } from 'zod';
import type { FieldIssue } from './result.ts';

export type YEntity = Y.Map<unknown>;

/** Sets each field whose value changed; unchanged fields are left alone so no tombstones pile up. */
export function setFields(map: YEntity, fields: object): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (map.get(key) !== value) map.set(key, value);
  }
}

/** The child Y.Map at `key`, created when missing (or when a peer stored something else there). */
export function childMap<T = unknown>(map: YEntity, key: string): Y.Map<T> {
  const existing = map.get(key);
  if (existing instanceof Y.Map) return existing as Y.Map<T>;
  const created = new Y.Map<T>();
  map.set(key, created);
  return created;
}

/** The entity maps stored under a root map; values that are not Y.Maps (a hostile or buggy peer) are skipped. */
export function entityMaps(root: Y.Map<unknown>): [string, YEntity][] {
  const out: [string, YEntity][] = [];
  root.forEach((value, key) => {
    if (value instanceof Y.Map) out.push([key, value as YEntity]);
  });
  return out;
}

/**
 * Reads one field through its schema; a value a peer stored with the wrong shape falls back to
 * `fallback` and is reported, so one bad field never hides the rest of the entity.
 */
export function readField<T>(
  map: YEntity,
  key: string,
  schema: z.ZodType<T>,
  fallback: T,
  problems: FieldIssue[],
): T {
  const raw = map.get(key);
  if (raw === undefined) return fallback;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push({ field: key, message: parsed.error.issues[0]?.message ?? 'is invalid' });
  return fallback;
}

export const numberOr = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;
export const stringOr = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

/** An Ed25519 signature as stored (base64 ORIGINAL, 64 bytes); anything else reads as '' (unsigned). */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9+/]{86}==$/;
export const signatureOr = (value: unknown): string =>
  typeof value === 'string' && SIGNATURE_PATTERN.test(value) ? value : '';
export const safeIntegerOr = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fallback;
