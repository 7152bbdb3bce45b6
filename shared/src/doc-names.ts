// Document names (design §3). The owner comes first, so access is decided from the name alone.
import { ID_PATTERN, type BindingId, type TaskId, type UserId, type ViberId } from './ids.ts';

export type DocRef =
  | { kind: 'workspace'; userId: UserId }
  | { kind: 'task'; userId: UserId; taskId: TaskId }
  | { kind: 'viber'; userId: UserId; viberId: ViberId }
  | { kind: 'prepare-log'; userId: UserId; viberId: ViberId; bindingId: BindingId }
  | { kind: 'run-output'; userId: UserId; viberId: ViberId; taskId: TaskId }
  | { kind: 'changes'; userId: UserId; viberId: ViberId; taskId: TaskId };

/** Every document of a user starts with this (storage quotas count them by it). */
export const userDocPrefix = (userId: UserId | string) => `u/${userId}/`;
export const workspaceDocName = (userId: UserId | string) => `u/${userId}/workspace`;
export const taskDocName = (userId: UserId | string, taskId: TaskId | string) => `u/${userId}/task/${taskId}`;
export const viberDocName = (userId: UserId | string, viberId: ViberId | string) =>
  `u/${userId}/viber/${viberId}`;
/** The live log of a binding's latest prepare, written by its Viber. */
export const prepareLogDocName = (
  userId: UserId | string,
  viberId: ViberId | string,
  bindingId: BindingId | string,
) => `u/${userId}/viber/${viberId}/prepare/${bindingId}`;
/** The run records and output of one task's messages on one Viber. */
export const runOutputDocName = (
  userId: UserId | string,
  viberId: ViberId | string,
  taskId: TaskId | string,
) => `u/${userId}/viber/${viberId}/run/${taskId}`;

/** A task's changes against the revision it started from, and its push result, written by its Viber. */
export const changesDocName = (userId: UserId | string, viberId: ViberId | string, taskId: TaskId | string) =>
  `u/${userId}/viber/${viberId}/changes/${taskId}`;

/**
 * Names parsed lately (frozen: callers share them). The server parses a name four times per
 * authentication (access, deletions, the deletion index), and a reconnect storm authenticates a few
 * hundred names thousands of times.
 */
const parsedNames = new Map<string, Readonly<DocRef> | null>();
const PARSED_NAMES_KEPT = 4_096;

/** Parses a document name; null for anything that is not exactly one of the shapes above. */
export function parseDocName(name: string): DocRef | null {
  if (typeof name !== 'string' || name.length > 300) return null;
  const known = parsedNames.get(name);
  if (known !== undefined) return known;
  const ref = parse(name);
  if (parsedNames.size >= PARSED_NAMES_KEPT) parsedNames.clear();
  parsedNames.set(name, ref && Object.freeze(ref));
  return ref;
}

function parse(name: string): DocRef | null {
  const parts = name.split('/');
  if (
    parts[0] !== 'u' ||
    parts.length < 3 ||
    !parts.slice(1).every((p, i) => i % 2 === 1 || ID_PATTERN.test(p))
  ) {
    return null;
  }
  const userId = parts[1] as UserId;
  const [, , kind, a, sub, b] = parts;
  if (parts.length === 3 && kind === 'workspace') return { kind: 'workspace', userId };
  if (parts.length === 4 && kind === 'task' && ID_PATTERN.test(a))
    return { kind: 'task', userId, taskId: a as TaskId };
  if (kind !== 'viber' || !ID_PATTERN.test(a ?? '')) return null;
  const viberId = a as ViberId;
  if (parts.length === 4) return { kind: 'viber', userId, viberId };
  if (parts.length === 6 && ID_PATTERN.test(b)) {
    if (sub === 'prepare') return { kind: 'prepare-log', userId, viberId, bindingId: b as BindingId };
    if (sub === 'run') return { kind: 'run-output', userId, viberId, taskId: b as TaskId };
    if (sub === 'changes') return { kind: 'changes', userId, viberId, taskId: b as TaskId };
  }
  return null;
}
