// What the user's pinned Vibers would not act on ([T5]), gathered from every Viber's document, one
// entry per refused thing (a message refused by two Vibers is one approval).
import type { Refusal } from '@openviber/shared';
import type { ViberView } from './vibers-model.ts';

export interface Approval {
  refusal: Refusal;
  viberId: string;
  viberName: string;
}

export function listApprovals(vibers: Map<string, ViberView>): Approval[] {
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
  return [...seen.values()].sort((a, b) => b.refusal.at - a.refusal.at);
}

/** `<a>/<b>` ids of message, cancel and secret refusals. */
export function splitRefusalId(id: string): [string, string] {
  const i = id.indexOf('/');
  return i < 0 ? [id, ''] : [id.slice(0, i), id.slice(i + 1)];
}
