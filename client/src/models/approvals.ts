// What waits for the user's review: the refusals the user's pinned Vibers published ([T5]), gathered
// from every Viber's document, plus what this app found itself ([T10], [T11]) — one entry per thing (a
// message refused by two Vibers is one approval).
import type { Refusal } from '@openviber/shared';
import type { Review } from './signing-model.ts';
import type { ViberView } from './vibers-model.ts';

export interface Approval {
  refusal: Refusal;
  /** The Viber that refused it; '' when this app found it (no Viber said anything yet). */
  viberId: string;
  viberName: string;
}

/** The environments and mappings this device found not standing signed, as approvals found by this app. */
export function appApprovals(review: Review): Approval[] {
  const found: Approval[] = [];
  for (const [id, standing] of review.specs)
    found.push({
      refusal: {
        kind: 'environment',
        id,
        reason: standing === 'signed' ? 'unsigned' : standing,
        detail: 'changed outside this app',
        at: 0,
      },
      viberId: '',
      viberName: '',
    });
  for (const [id, standing] of review.bindings)
    found.push({
      refusal: {
        kind: 'binding',
        id,
        reason: standing === 'unsigned' ? 'unsigned' : 'bad signature',
        detail: standing === 'key changed' ? 'its Viber’s key changed' : 'changed outside this app',
        at: 0,
      },
      viberId: '',
      viberName: '',
    });
  return found;
}

export function listApprovals(vibers: Map<string, ViberView>, fromApp: Approval[] = []): Approval[] {
  const seen = new Map<string, Approval>();
  for (const view of vibers.values()) {
    for (const refusal of view.refusals) {
      // A secret copy is per Viber; everything else is the same content whichever Viber refused it.
      const key =
        refusal.kind === 'secret'
          ? `${refusal.kind}:${refusal.id}:${view.record.id}`
          : `${refusal.kind}:${refusal.id}`;
      if (!seen.has(key)) seen.set(key, { refusal, viberId: view.record.id, viberName: view.record.name });
    }
  }
  // What a Viber said is kept (it names the Viber and its reason); the app adds what no Viber said yet.
  for (const a of fromApp) {
    const key = `${a.refusal.kind}:${a.refusal.id}`;
    if (!seen.has(key)) seen.set(key, a);
  }
  return [...seen.values()].sort((a, b) => b.refusal.at - a.refusal.at);
}

/**
 * The highest spec version any of the user's Vibers said it accepted for `envId` (in a `rolled back`
 * refusal): Approve signs above it, or the Viber refuses the approved spec again ([T5], [T10]).
 */
export function acceptedSpecVersion(vibers: Map<string, ViberView>, envId: string): number {
  let accepted = 0;
  for (const view of vibers.values())
    for (const r of view.refusals)
      if (r.kind === 'environment' && r.id === envId) accepted = Math.max(accepted, r.acceptedVersion ?? 0);
  return accepted;
}

/** `<a>/<b>` ids of message, cancel and secret refusals. */
export function splitRefusalId(id: string): [string, string] {
  const i = id.indexOf('/');
  return i < 0 ? [id, ''] : [id.slice(0, i), id.slice(i + 1)];
}
