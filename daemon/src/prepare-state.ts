// A small state file per binding: the key of the last setup that succeeded, so setup runs once per
// (script, revision, variables, secrets) and a later prepare with nothing changed runs maintenance.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './durable-file.ts';

export interface PrepareState {
  setupKey: string;
  revision: string;
}

const file = (dir: string, bindingId: string) => join(dir, `${bindingId}.json`);

export function readPrepareState(dir: string, bindingId: string): PrepareState | null {
  try {
    const raw = JSON.parse(readFileSync(file(dir, bindingId), 'utf8')) as Partial<PrepareState>;
    return typeof raw.setupKey === 'string'
      ? { setupKey: raw.setupKey, revision: String(raw.revision ?? '') }
      : null;
  } catch {
    return null;
  }
}

export function writePrepareState(dir: string, bindingId: string, state: PrepareState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Replaced whole: a crash mid-write left an empty file, and setup ran again.
  replaceFile(file(dir, bindingId), JSON.stringify(state) + '\n');
}

/** The binding is gone from this Viber: its state goes too. */
export function forgetPrepareState(dir: string, bindingId: string): void {
  rmSync(file(dir, bindingId), { force: true });
}

/** A one-way key of everything setup depends on (secret values are hashed, never stored). */
export function setupKey(parts: { script: string; revision: string; env: Record<string, string> }): string {
  const env = Object.entries(parts.env).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256')
    .update(JSON.stringify([parts.script, parts.revision, env]))
    .digest('hex');
}
