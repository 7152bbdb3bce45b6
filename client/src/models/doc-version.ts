// A signal that changes whenever a Y.Doc changes: computeds that read it re-derive their view of the doc.
import { signal, type ReadonlySignal } from '@preact/signals';
import type * as Y from 'yjs';

/** Returns [version signal, dispose]. Views read `version.value` and then read the doc through shared accessors. */
export function docVersion(doc: Y.Doc): [ReadonlySignal<number>, () => void] {
  const version = signal(0);
  const onUpdate = () => {
    version.value++;
  };
  doc.on('update', onUpdate);
  return [version, () => doc.off('update', onUpdate)];
}
