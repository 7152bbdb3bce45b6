// [S12] The Viber's side of old meets new: it acts only on documents it fully reads, and says so once.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SCHEMA_VERSION, readHealth, stampDocument, writeHealth } from '@openviber/shared';
import { SchemaGuard } from './schema-guard.ts';

const health = {
  version: '0.0.1',
  hostname: 'h',
  platform: 'linux-x64',
  startedAt: 1,
  workspaceRoot: '/w',
  capabilities: { git: true, networkIsolation: true, container: '', hidesKeys: true },
};

describe('[S12] SchemaGuard', () => {
  it('an old Viber (older SCHEMA_VERSION) refuses a newer document, publishes needsUpdate and logs once per version', () => {
    const viberDoc = new Y.Doc();
    writeHealth(viberDoc, { ...health, needsUpdate: 7 });
    const lines: string[] = [];
    const old = new SchemaGuard(viberDoc, (l) => lines.push(l), SCHEMA_VERSION);
    old.start();
    expect(readHealth(viberDoc)?.needsUpdate).toBe(0); // a previous daemon's report is cleared

    const current = new Y.Doc();
    stampDocument(current, 'app 1', SCHEMA_VERSION);
    const legacy = new Y.Doc(); // written before versions: version 1
    expect(old.mayAct(current, 'the workspace')).toBe(true);
    expect(old.mayAct(legacy, 'task tsk_1')).toBe(true);

    const newer = new Y.Doc();
    stampDocument(newer, 'app 2', SCHEMA_VERSION + 1);
    expect(old.mayAct(newer, 'the workspace')).toBe(false);
    expect(old.mayAct(newer, 'the workspace')).toBe(false);
    expect(readHealth(viberDoc)?.needsUpdate).toBe(SCHEMA_VERSION + 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the workspace uses document schema ${SCHEMA_VERSION + 1} (written by app 2)`);

    // The same documents read by a Viber that understands the newer schema: it acts.
    const updated = new SchemaGuard(viberDoc, () => {}, SCHEMA_VERSION + 1);
    updated.start();
    expect(updated.mayAct(newer, 'the workspace')).toBe(true);
    expect(updated.mayAct(legacy, 'task tsk_1')).toBe(true);
    expect(readHealth(viberDoc)?.needsUpdate).toBe(0);
  });
});
