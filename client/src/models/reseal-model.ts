// [X5] Copies ciphertexts a Viber re-sealed for another Viber into the workspace (the app cannot read them).
import { effect, type ReadonlySignal } from '@preact/signals';
import { addSealedCopy, type Environment, type ViberRecord } from '@openviber/shared';
import type { ViberView } from './vibers-model.ts';
import type { WorkspaceModel } from './workspace-model.ts';

/** Runs while signed in: whenever a Viber publishes a re-seal that the workspace lacks, copies it. */
export function startResealCopier(
  workspace: WorkspaceModel,
  vibers: ReadonlySignal<Map<string, ViberView>>,
  /** Signs each copy written ([T6]); a pinned target Viber uses only a signed copy. */
  signCopy?: (envId: string, key: string, viberId: string, box: string) => Promise<void>,
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
    queueMicrotask(() => {
      for (const [envId, key, viberId, box] of copies) void signCopy?.(envId, key, viberId, box);
    });
  });
}
