// The documents a server limit refuses to this device now ([S11], [S11a], [S16]), each with the
// limit's reason. One entry per document, so a document that syncs again clears only its own notice:
// a single "latest refusal" slot, cleared by whichever document recovered, hid a refusal still in force.
import { computed, signal } from '@preact/signals';

export function createLimitRefusals() {
  /** Document name → the limit's reason, in the order refused (a document refused again moves last). */
  const byDoc = signal<ReadonlyMap<string, string>>(new Map());
  /** The latest refusal still in force, or null. */
  const latest = computed(() => {
    const last = [...byDoc.value].at(-1);
    return last ? { docName: last[0], reason: last[1] } : null;
  });
  return {
    byDoc,
    latest,
    refused(docName: string, reason: string): void {
      const next = new Map(byDoc.peek());
      next.delete(docName);
      byDoc.value = next.set(docName, reason);
    },
    recovered(docName: string): void {
      if (!byDoc.peek().has(docName)) return;
      const next = new Map(byDoc.peek());
      next.delete(docName);
      byDoc.value = next;
    },
  };
}
