// [X5] Copies ciphertexts a Viber re-sealed for another Viber into the workspace (the app cannot read them).
// It never signs one: a signature over a ciphertext the app cannot read would vouch for whatever the
// server wrote into a Viber's document. The sending Viber's key authenticates a re-seal copy, and a
// pinned receiver checks that key against the bindings the user signed ([T6]).
import { effect, type ReadonlySignal } from '@preact/signals';
import { addSealedCopy, type Environment, type ViberRecord } from '@openviber/shared';
import type { ViberView } from './vibers-model.ts';
import type { WorkspaceModel } from './workspace-model.ts';

/** Runs while signed in: whenever a Viber publishes a re-seal that the workspace lacks, copies it (unsigned). */
export function startResealCopier(
  workspace: Pick<WorkspaceModel, 'doc' | 'environments' | 'vibers'>,
  vibers: ReadonlySignal<Map<string, ViberView>>,
) {
  return effect(() => {
    const envs = new Map<string, Environment>(workspace.environments.value.map((e) => [e.id, e]));
    const registered = new Set<string>(workspace.vibers.value.map((v: ViberRecord) => v.id));
    const copies: [string, string, string, string][] = [];
    for (const view of vibers.value.values()) {
      for (const r of view.reseals) {
        const secret = envs.get(r.environmentId)?.secrets[r.secretKey];
        // Only for a Viber still registered, and only when the secret exists and lacks that Viber's copy.
        if (!secret || !registered.has(r.targetViberId) || Object.hasOwn(secret.sealed, r.targetViberId))
          continue;
        copies.push([r.environmentId, r.secretKey, r.targetViberId, r.sealed]);
      }
    }
    if (!copies.length) return;
    // Outside the effect's run, so the write it causes re-runs the effect instead of nesting in it.
    queueMicrotask(() =>
      workspace.doc.transact(() => {
        for (const [envId, key, viberId, box] of copies)
          addSealedCopy(workspace.doc, envId, key, viberId, box);
      }),
    );
  });
}
