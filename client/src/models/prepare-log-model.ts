// The live setup log of a binding's latest prepare (the Viber's sub-document, read-only).
import { computed } from '@preact/signals';
import { prepareLogDocName, readPrepareLog } from '@openviber/shared';
import type { DocStore } from '../sync/doc-store.ts';
import { docVersion } from './doc-version.ts';

export function createPrepareLogModel(store: DocStore, userId: string, viberId: string, bindingId: string) {
  const handle = store.open(prepareLogDocName(userId, viberId, bindingId));
  const [version, stop] = docVersion(handle.doc);
  const log = computed(() => (version.value, readPrepareLog(handle.doc)));
  return {
    log,
    dispose() {
      stop();
      handle.release();
    },
  };
}
