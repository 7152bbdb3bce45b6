// [X5] [T6] The app copies a Viber's re-seal into the workspace and never signs it: whoever controls the
// server can write any ciphertext into a Viber's document, and the app cannot read what it would sign.
import { computed, signal } from '@preact/signals';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import {
  createEnvironment,
  environmentCreateSchema,
  getEnvironment,
  listEnvironments,
  listVibers,
  upsertViber,
  type Reseal,
  type ViberId,
} from '@openviber/shared';
import { startResealCopier } from './reseal-model.ts';
import type { ViberView } from './vibers-model.ts';

const BOX = 'A'.repeat(120);

function world(reseals: Reseal[]) {
  const doc = new Y.Doc();
  const version = signal(0);
  doc.on('update', () => version.value++);
  for (const id of ['vbr_holder', 'vbr_target'] as ViberId[])
    upsertViber(doc, { id, name: id, publicKey: 'K'.repeat(43) + '=', createdAt: 1, lastSeenAt: 0 });
  const envId = createEnvironment(
    doc,
    environmentCreateSchema.parse({
      name: 'e',
      type: 'manual',
      secrets: { TOKEN: { sealed: { vbr_holder: 'B'.repeat(120) } } },
    }),
  );
  const workspace = {
    doc,
    environments: computed(() => (version.value, listEnvironments(doc))),
    vibers: computed(() => (version.value, listVibers(doc))),
  };
  const view = {
    record: { id: 'vbr_holder' },
    reseals: reseals.map((r) => ({ ...r, environmentId: envId })),
  };
  const vibers = signal(new Map([['vbr_holder', view as unknown as ViberView]]));
  return { doc, envId, workspace, vibers };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('[X5] [T6] re-seal copier', () => {
  it('copies a re-seal for a registered Viber that lacks one, and signs nothing', async () => {
    const w = world([{ environmentId: '', secretKey: 'TOKEN', targetViberId: 'vbr_target', sealed: BOX }]);
    const signer = vi.fn();
    // Whatever signer the app holds, a re-seal copy never reaches it (the copier used to take one).
    const start = startResealCopier as (...args: unknown[]) => () => void;
    const stop = start(w.workspace, w.vibers, signer);
    await tick();
    const secret = getEnvironment(w.doc, w.envId)!.secrets.TOKEN!;
    expect(secret.sealed).toMatchObject({ vbr_target: BOX });
    expect(secret.signatures).toEqual({});
    expect(signer).not.toHaveBeenCalled();
    stop();
  });

  it('leaves a copy the workspace holds, and copies nothing for an unregistered Viber or an unknown secret', async () => {
    const w = world([
      { environmentId: '', secretKey: 'TOKEN', targetViberId: 'vbr_holder', sealed: BOX },
      { environmentId: '', secretKey: 'TOKEN', targetViberId: 'vbr_gone', sealed: BOX },
      { environmentId: '', secretKey: 'OTHER', targetViberId: 'vbr_target', sealed: BOX },
    ]);
    const stop = startResealCopier(w.workspace, w.vibers);
    await tick();
    expect(getEnvironment(w.doc, w.envId)!.secrets.TOKEN!.sealed).toEqual({ vbr_holder: 'B'.repeat(120) });
    expect(Object.keys(getEnvironment(w.doc, w.envId)!.secrets)).toEqual(['TOKEN']);
    stop();
  });
});
