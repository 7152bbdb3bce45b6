import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SCHEMA_VERSION, documentMetaMap, documentSchemaVersion, stampDocument } from '@openviber/shared';
import { checkDocumentSchema } from './document-schema.ts';

describe('[S12] the app and document schema versions', () => {
  it('stamps the workspace and tasks it writes, and never a Viber document (read-only for the app)', () => {
    for (const name of ['u/usr_1/workspace', 'u/usr_1/task/tsk_1']) {
      const doc = new Y.Doc();
      expect(checkDocumentSchema(name, doc)).toBe(0);
      expect(documentSchemaVersion(doc)).toBe(SCHEMA_VERSION);
      expect(documentMetaMap(doc).get('writtenBy')).toMatch(/^app /);
    }
    for (const name of ['u/usr_1/viber/vbr_1', 'u/usr_1/viber/vbr_1/run/tsk_1']) {
      const doc = new Y.Doc();
      expect(checkDocumentSchema(name, doc)).toBe(0);
      expect(documentMetaMap(doc).size).toBe(0);
    }
  });

  it('an old app meeting a newer workspace reports its version and leaves its stamp alone', () => {
    const doc = new Y.Doc();
    stampDocument(doc, 'app 99.0.0', SCHEMA_VERSION + 1);
    expect(checkDocumentSchema('u/usr_1/workspace', doc)).toBe(SCHEMA_VERSION + 1);
    expect(documentMetaMap(doc).get('writtenBy')).toBe('app 99.0.0');
    // And a new app meeting an old one raises it.
    const old = new Y.Doc();
    expect(checkDocumentSchema('u/usr_1/workspace', old, SCHEMA_VERSION + 1)).toBe(0);
    expect(documentSchemaVersion(old)).toBe(SCHEMA_VERSION + 1);
  });
});
