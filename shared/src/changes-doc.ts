// A task's changes and push state, in the Viber's own document `…/changes/<taskId>` (one writer).
// Each is ONE JSON value under its key ([V4]): consecutive overwrites leave one small tombstone.
import * as Y from 'yjs';
import { MAX_CHANGES_FILES, MAX_CHANGES_PATCH_CHARS } from './limits.ts';
import type { PushRequest } from './task-doc.ts';

export const ChangeStatus = {
  added: 'added',
  modified: 'modified',
  deleted: 'deleted',
  renamed: 'renamed',
} as const;
export type ChangeStatus = (typeof ChangeStatus)[keyof typeof ChangeStatus];

export interface ChangedFile {
  path: string;
  /** The path before a rename. */
  oldPath?: string;
  status: ChangeStatus;
  additions: number;
  deletions: number;
  binary: boolean;
  /** Characters of this file's part of the patch as git wrote it (before truncation). */
  patchBytes: number;
  /** This file's part of the patch was cut or left out (too large, or the total budget ran out). */
  truncated: boolean;
}

export interface TaskChanges {
  /** The revision the task started from. */
  baseRevision: string;
  files: ChangedFile[];
  /** Unified patch, redacted, at most MAX_CHANGES_PATCH_CHARS. */
  patch: string;
  truncated: boolean;
  updatedAt: number;
}

export const PushState = { pushing: 'pushing', pushed: 'pushed', failed: 'failed' } as const;
export type PushState = (typeof PushState)[keyof typeof PushState];

export interface PushResult {
  /** The push request it answers. */
  requestId: string;
  branch: string;
  state: PushState;
  commit: string;
  error: string;
  updatedAt: number;
}

const changesMap = (doc: Y.Doc) => doc.getMap<unknown>('changes');

function parsed(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'string') return null;
  try {
    const out: unknown = JSON.parse(value);
    return out && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const STATUSES = new Set<string>(Object.values(ChangeStatus));
const PUSH_STATES = new Set<string>(Object.values(PushState));

function fileOf(v: unknown): ChangedFile | null {
  if (!v || typeof v !== 'object') return null;
  const f = v as Record<string, unknown>;
  if (typeof f.path !== 'string' || !STATUSES.has(str(f.status))) return null;
  return {
    path: f.path,
    ...(typeof f.oldPath === 'string' ? { oldPath: f.oldPath } : {}),
    status: f.status as ChangeStatus,
    additions: num(f.additions),
    deletions: num(f.deletions),
    binary: f.binary === true,
    patchBytes: num(f.patchBytes),
    truncated: f.truncated === true,
  };
}

/** The task's latest changes; null while the Viber has published none (readers never throw, [S6]). */
export function readChanges(doc: Y.Doc): TaskChanges | null {
  const c = parsed(changesMap(doc).get('current'));
  if (!c) return null;
  // Bounded by the writer's limits whatever the document holds ([S6]): past them it reads truncated.
  const files = Array.isArray(c.files) ? c.files.map(fileOf).filter((f): f is ChangedFile => f !== null) : [];
  const patch = str(c.patch);
  return {
    baseRevision: str(c.baseRevision),
    files: files.slice(0, MAX_CHANGES_FILES),
    patch: patch.slice(0, MAX_CHANGES_PATCH_CHARS),
    truncated:
      c.truncated === true || files.length > MAX_CHANGES_FILES || patch.length > MAX_CHANGES_PATCH_CHARS,
    updatedAt: num(c.updatedAt),
  };
}

export function writeChanges(doc: Y.Doc, changes: TaskChanges): void {
  changesMap(doc).set('current', JSON.stringify(changes));
}

/** The revision the task started from, recorded when its working copy was made. */
export function readBaseRevision(doc: Y.Doc): string {
  return str(changesMap(doc).get('base'));
}

export function writeBaseRevision(doc: Y.Doc, revision: string): void {
  if (readBaseRevision(doc) !== revision) changesMap(doc).set('base', revision);
}

export function readPushResult(doc: Y.Doc): PushResult | null {
  const p = parsed(changesMap(doc).get('push'));
  if (!p || !PUSH_STATES.has(str(p.state))) return null;
  return {
    requestId: str(p.requestId),
    branch: str(p.branch),
    state: p.state as PushState,
    commit: str(p.commit),
    error: str(p.error),
    updatedAt: num(p.updatedAt),
  };
}

export function writePushResult(doc: Y.Doc, result: PushResult): void {
  changesMap(doc).set('push', JSON.stringify(result));
}

/**
 * Where a task's push stands: nothing asked yet, the newest request not answered yet (the Viber is
 * on it, or offline), or the Viber's answer to that request. The one reading of the task's
 * requests and the changes document that the API and the app both show.
 */
export type PushView =
  | { state: 'none' }
  | { state: 'requested'; request: PushRequest }
  | { state: PushState; request: PushRequest | null; result: PushResult };

/** The newest request and the Viber's answer to it (an answer to an older request is not this one's). */
export function pushView(request: PushRequest | null, result: PushResult | null): PushView {
  if (request && (!result || result.requestId !== request.id)) return { state: 'requested', request };
  if (result) return { state: result.state, request, result };
  return { state: 'none' };
}
