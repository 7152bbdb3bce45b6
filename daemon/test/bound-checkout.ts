// A workspace with one environment (no persisted volume: tasks get worktrees) bound to `vbr_t`, and
// the (empty) folder where the daemon keeps that binding's checkout below `root`.
import { mkdirSync } from 'node:fs';
import * as Y from 'yjs';
import { createBinding, createEnvironment, environmentCreateSchema } from '@openviber/shared';
import { cloneDir } from '../src/working-dir.ts';

export function boundCheckout(root: string) {
  const ws = new Y.Doc();
  const envId = createEnvironment(
    ws,
    environmentCreateSchema.parse({ name: 'e', type: 'manual', persistVolume: false }),
  );
  const bindingId = createBinding(ws, envId, { viberId: 'vbr_t', strategy: 'clone' });
  const checkout = cloneDir(root, bindingId);
  mkdirSync(checkout, { recursive: true });
  return { ws, envId, bindingId, checkout };
}
