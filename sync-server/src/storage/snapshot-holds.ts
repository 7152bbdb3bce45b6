// Whether one Yjs state holds everything another does, from their snapshots alone (state vector and
// delete set, no document built): every item (the state vector, since a client's items run from
// clock 0 without gaps) and every deletion (a deletion does not move the state vector). Used where
// building a Y.Doc to merge would cost the time: store notices between processes
// (scale/store-notices.ts) and PostgreSQL's merge of a store into the stored state.
import type * as Y from 'yjs';

type Ranges = { clock: number; len: number }[];
type DeleteSetLike = { clients: Map<number, Ranges> };

/** Whether every deleted range of `inner` lies within `outer` (both sorted and merged, as Yjs keeps them). */
function deletionsWithin(inner: DeleteSetLike, outer: DeleteSetLike): boolean {
  for (const [client, ranges] of inner.clients) {
    const known = outer.clients.get(client) ?? [];
    let k = 0;
    for (const { clock, len } of ranges) {
      while (k < known.length && known[k]!.clock + known[k]!.len <= clock) k++;
      if (k === known.length || known[k]!.clock > clock || known[k]!.clock + known[k]!.len < clock + len)
        return false;
    }
  }
  return true;
}

/** Whether the state `outer` describes holds every item and every deletion of the state `inner` describes. */
export function snapshotHolds(outer: Y.Snapshot, inner: Y.Snapshot): boolean {
  for (const [client, clock] of inner.sv) if ((outer.sv.get(client) ?? 0) < clock) return false;
  return deletionsWithin(inner.ds as unknown as DeleteSetLike, outer.ds as unknown as DeleteSetLike);
}
