// [S12] What the app does with a document's schema version once it has synced: a document a newer
// app wrote is reported (the app asks to be updated and shows what it reads); the documents this
// device writes (workspace, tasks) carry the app's schema, never lowering a newer one.
import type * as Y from 'yjs';
import {
  SCHEMA_VERSION,
  VERSION,
  documentCompatibility,
  parseDocName,
  stampDocument,
} from '@openviber/shared';

/** Returns the newer schema version `doc` has (0 when this app reads it fully), stamping what we write. */
export function checkDocumentSchema(name: string, doc: Y.Doc, understood = SCHEMA_VERSION): number {
  const compatibility = documentCompatibility(doc, understood);
  if (compatibility.kind === 'newer') return compatibility.version;
  const kind = parseDocName(name)?.kind;
  if (kind === 'workspace' || kind === 'task') stampDocument(doc, `app ${VERSION}`, understood);
  return 0;
}
