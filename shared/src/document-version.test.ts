// [S12] Documents carry their schema version; old and new peers meet safely in both directions.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  SCHEMA_VERSION,
  documentCompatibility,
  documentMetaMap,
  documentSchemaVersion,
  stampDocument,
} from './document-version.ts';
import {
  readTaskRunSummary,
  viberStateMap,
  writeObservation,
  writeTaskRunSummary,
  readObservation,
} from './viber-doc.ts';
import {
  createEnvironment,
  environmentsMap,
  getEnvironment,
  patchEnvironment,
} from './workspace-environments.ts';
import { ObservedState, RunState } from './enums.ts';
import { environmentCreateSchema } from './schemas.ts';

const NEWER = SCHEMA_VERSION + 1;
/** A copy of `doc` as another peer holds it after a sync. */
const synced = (doc: Y.Doc) => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};

describe('[S12] document schema versions', () => {
  it('reads a document written before versions existed (no schema map) as version 1, compatible', () => {
    const old = new Y.Doc();
    old.getMap('environments').set('env_1', new Y.Map());
    expect(documentSchemaVersion(old)).toBe(1);
    expect(documentCompatibility(old)).toEqual({ kind: 'ok', version: 1 });
    // Garbage a peer stored reads as version 1 too (never throws, [S6]).
    documentMetaMap(old).set('version', 'two');
    expect(documentSchemaVersion(old)).toBe(1);
    documentMetaMap(old).set('version', -5);
    expect(documentSchemaVersion(old)).toBe(1);
  });

  it('an old peer (older SCHEMA_VERSION) reading a new document sees "newer", with who wrote it', () => {
    const doc = new Y.Doc();
    stampDocument(doc, 'app 9.0.0', NEWER);
    const oldPeer = synced(doc);
    expect(documentCompatibility(oldPeer, SCHEMA_VERSION)).toEqual({
      kind: 'newer',
      version: NEWER,
      writtenBy: 'app 9.0.0',
    });
    // And the new peer reading an old document sees "older" (readable).
    const oldDoc = new Y.Doc();
    stampDocument(oldDoc, 'viber 0.1.0', SCHEMA_VERSION);
    expect(documentCompatibility(synced(oldDoc), NEWER)).toEqual({ kind: 'older', version: SCHEMA_VERSION });
  });

  it('an old writer never lowers the version, and restamping an equal version writes nothing', () => {
    const doc = new Y.Doc();
    stampDocument(doc, 'app 9.0.0', NEWER);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    stampDocument(doc, 'viber 0.1.0', SCHEMA_VERSION);
    stampDocument(doc, 'app 9.0.0', NEWER);
    expect(updates).toHaveLength(0);
    expect(documentSchemaVersion(doc)).toBe(NEWER);
    expect(documentMetaMap(doc).get('writtenBy')).toBe('app 9.0.0');
    // A newer writer raises it.
    stampDocument(doc, 'app 10.0.0', NEWER + 1);
    expect(documentCompatibility(doc, NEWER)).toMatchObject({ kind: 'newer', version: NEWER + 1 });
  });

  it("an old Viber writing its document keeps what a newer Viber stored there (top-level keys and records' fields)", () => {
    const doc = new Y.Doc();
    viberStateMap(doc).set(
      'current',
      JSON.stringify({
        observed: { bnd_1: { state: 'ready', observedGeneration: 3, attestation: { sig: 'x' } } },
        taskRuns: { tsk_1: { messageId: 'msg_1', state: 'completed', updatedAt: 1, costCents: 12 } },
        quotas: { cpu: 4 },
      }),
    );
    const old = synced(doc);
    writeObservation(old, 'bnd_2', { state: ObservedState.preparing, observedGeneration: 1 });
    writeObservation(old, 'bnd_1', { state: ObservedState.error, lastError: 'boom' });
    writeTaskRunSummary(old, 'tsk_1', { messageId: 'msg_2', state: RunState.started, updatedAt: 2 });
    const stored = JSON.parse(viberStateMap(old).get('current') as string) as Record<string, never>;
    expect(stored['quotas']).toEqual({ cpu: 4 });
    expect(stored['observed']['bnd_1']).toMatchObject({ state: 'error', attestation: { sig: 'x' } });
    expect(stored['taskRuns']['tsk_1']).toMatchObject({ messageId: 'msg_2', costCents: 12 });
    expect(readObservation(old, 'bnd_1')?.state).toBe('error');
    expect(readTaskRunSummary(old, 'tsk_1')).toEqual({ messageId: 'msg_2', state: 'started', updatedAt: 2 });
  });

  it('an old app patching an environment keeps the fields and maps a newer app added', () => {
    const doc = new Y.Doc();
    const id = createEnvironment(doc, environmentCreateSchema.parse({ name: 'api', type: 'manual' }));
    const map = environmentsMap(doc).get(id) as Y.Map<unknown>;
    map.set('gpuCount', 2);
    const limits = new Y.Map<unknown>();
    map.set('resourceLimits', limits);
    limits.set('memoryMb', 512);
    const old = synced(doc);
    patchEnvironment(old, id, { name: 'api 2', vars: { A: '1' } });
    const after = (environmentsMap(old).get(id) as Y.Map<unknown>).toJSON();
    expect(after).toMatchObject({ name: 'api 2', gpuCount: 2, resourceLimits: { memoryMb: 512 } });
    expect(getEnvironment(old, id)?.name).toBe('api 2');
  });
});
