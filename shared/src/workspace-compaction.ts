// [D9] What a deletion leaves in the workspace, collected. Yjs already drops a deleted entity's fields
// (a deleted nested map's content), but keeps the key's item in the top-level map for good: ~50 bytes
// (its id string, its parent's name, its origin) per deleted environment, binding, task and trimmed
// deletions-log entry. Yjs keeps it because a later write of the same key names it as its origin.
//
// Here no later write ever does: an entity's key is a fresh random id, set once at creation and
// never set again (a field edit goes into the entity's own map, whose parent then is gone: Yjs drops
// such an edit on every peer alike), and a log entry's key is written once per deletion
// (`recordDeletion` leaves an existing one alone). So such a key's items can become what Yjs makes
// of an item in a deleted parent — a bare deleted range (`GC`) — and consecutive ranges merge: a
// deletion then costs nothing for good. Clocks stay as they were, so every peer still merges with
// this document: a peer holding the full item and one holding the range agree on what exists.
//
// And if some write did name a compacted key (a hostile peer, a bug): a peer holding the range
// integrates that write as deleted, and what the server relays is its own integrated form (the
// Y.Doc's update event), so the other peers receive a deleted range too and every copy converges.
// Only the writer itself would show the resurrected entry (tested).
//
// Not compacted: the Viber registry (`upsertViber` sets a known Viber's key again) and keys inside an
// entity (a variable may be deleted and added again), which go with their entity anyway.
import * as Y from 'yjs';
import { deletionsMap } from './workspace-deletions.ts';
import { bindingsMap } from './workspace-bindings.ts';
import { environmentsMap } from './workspace-environments.ts';
import { tasksMap } from './workspace-tasks.ts';

/** The workspace's maps whose keys are written once and never again. */
const WRITE_ONCE_MAPS = [environmentsMap, bindingsMap, tasksMap, deletionsMap];

/** The items a key's history holds, newest first, or null when it still has a value or keeps one. */
function deletedHistory(last: Y.Item): Y.Item[] | null {
  const items: Y.Item[] = [];
  for (let item: Y.Item | null = last; item !== null; item = item.left as Y.Item | null) {
    if (!item.deleted || item.keep) return null;
    items.push(item);
  }
  return items;
}

/**
 * Turns the deleted keys of the workspace's write-once maps into bare deleted ranges and merges
 * neighbouring ones. Returns how many keys went. Not inside a transaction (returns 0 there): Yjs's
 * own clean-up at the end of one still holds the items.
 */
export function compactDeletedKeys(doc: Y.Doc): number {
  if (doc._transaction !== null) return 0;
  let compacted = 0;
  for (const mapOf of WRITE_ONCE_MAPS) {
    const map = mapOf(doc);
    for (const [key, last] of map._map) {
      const history = deletedHistory(last);
      if (!history) continue;
      for (const item of history) item.gc(doc.store, true);
      map._map.delete(key);
      compacted++;
    }
  }
  // Merges each client's neighbouring deleted ranges (the filter collects nothing more).
  if (compacted > 0) Y.tryGc(Y.createDeleteSetFromStructStore(doc.store), doc.store, () => false);
  return compacted;
}
