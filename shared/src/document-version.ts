// The schema version every document carries ([S12]), so a peer can tell it is reading a document
// written by newer code: it then reads what it understands, deletes nothing it does not, refuses to
// act where acting on a half-understood document could be unsafe, and tells the user to update.
import type * as Y from 'yjs';

/**
 * The document schema this code reads and writes. Raise it when a change means older code would
 * misread a document (a field whose meaning changed, a new field that restricts what may run) —
 * not for additions older code may safely ignore.
 */
export const SCHEMA_VERSION = 1;

/**
 * The map `schema` holds `version` (the highest schema any writer of the document used) and
 * `writtenBy` (who raised it). Not `meta`: the prepare log's pre-[V4] `meta` map is cleared on reset.
 */
export const documentMetaMap = (doc: Y.Doc) => doc.getMap<unknown>('schema');

export type DocumentCompatibility =
  | { kind: 'ok'; version: number }
  /** Written by code with a newer schema: read what is understood, update to act on it safely. */
  | { kind: 'newer'; version: number; writtenBy: string }
  /** Written by older code: readable (every reader accepts older shapes). */
  | { kind: 'older'; version: number };

/** The document's schema version; a document without meta (written before versions existed) is version 1. */
export function documentSchemaVersion(doc: Y.Doc): number {
  const raw = documentMetaMap(doc).get('version');
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1 ? raw : 1;
}

/** How a peer that understands `understood` relates to `doc` (pass an older constant to play an old peer). */
export function documentCompatibility(doc: Y.Doc, understood = SCHEMA_VERSION): DocumentCompatibility {
  const version = documentSchemaVersion(doc);
  if (version > understood) {
    const writtenBy = documentMetaMap(doc).get('writtenBy');
    return {
      kind: 'newer',
      version,
      writtenBy: typeof writtenBy === 'string' ? writtenBy.slice(0, 100) : '',
    };
  }
  return version < understood ? { kind: 'older', version } : { kind: 'ok', version };
}

/**
 * Records that `writer` (e.g. `viber 0.4.0`, `server 0.4.0`, `app 0.4.0`) writes this document with
 * schema `understood`: raises `version` when it is missing or lower, never lowers it (an older
 * writer leaves a newer document's meta alone) and touches nothing when it already matches, so
 * calling it on every write costs no tombstones. Call it after the document synced: stamping an
 * empty copy could race a newer peer's stamp.
 */
export function stampDocument(doc: Y.Doc, writer: string, understood = SCHEMA_VERSION): void {
  const meta = documentMetaMap(doc);
  const stored = meta.get('version');
  if (typeof stored === 'number' && Number.isSafeInteger(stored) && stored >= understood) return;
  doc.transact(() => {
    meta.set('version', understood);
    meta.set('writtenBy', writer);
  });
}
