// Secret re-seal ([X5]): for a bound Viber that lacks a ciphertext this Viber holds, publish the
// secret sealed to its public key in our own document; a user's device copies it into the workspace.
// The copy is authenticated with our own key (crypto_box_easy), never signed by a device: the app
// cannot read it, so a pinned receiver checks that a binding its user signed names our key ([T6]).
import type * as Y from 'yjs';
import {
  DeletedKind,
  getViber,
  listBindings,
  listDeletions,
  listEnvironments,
  resealKey,
  resealsMap,
  type Environment,
  type ViberId,
} from '@openviber/shared';
import { sealResealCopy, type KeyPair } from '@openviber/shared/crypto';
import { openSecretCopy } from './env-secrets.ts';
import type { IntentGuard } from './intent-guard.ts';
import type { RemovedVibers } from './removed-vibers.ts';

/**
 * Publishes missing re-seals and drops those already copied; returns how many it published.
 * `published` remembers which value (updatedAt) each re-seal carries, so a replaced value is re-sealed again.
 */
export async function publishReseals(
  workspace: Y.Doc,
  viberDoc: Y.Doc,
  viberId: ViberId,
  keys: KeyPair,
  published: Map<string, number>,
  /** On a pinned Viber ([T5]): only a copy of ours it may use is passed on, only to a key the user signed. */
  intents: IntentGuard | undefined,
  /** The Vibers seen removed, recorded here from the workspace's deletions log: never a target again. */
  removed: RemovedVibers,
): Promise<number> {
  removed.note(
    listDeletions(workspace)
      .filter((d) => d.kind === DeletedKind.viber)
      .map((d) => d.id),
  );
  const wanted = new Map<
    string,
    { env: Environment; key: string; target: string; targetKey: string; updatedAt: number }
  >();
  for (const env of listEnvironments(workspace)) {
    const bindings = listBindings(workspace, { environmentId: env.id });
    const targets = new Set(bindings.map((b) => b.viberId as string));
    targets.delete(viberId);
    for (const target of targets) if (removed.has(target)) targets.delete(target);
    for (const [key, secret] of Object.entries(env.secrets)) {
      const sealed = secret.sealed as Record<string, string>;
      if (!sealed[viberId] || (intents && !intents.ownCopyVerified(env, key))) continue;
      for (const target of targets) {
        const publicKey = getViber(workspace, target)?.publicKey;
        // Pinned: a binding the user signed names this key, signed no earlier than the value was set
        // (an old signature, served again after the Viber was removed, gets no rotated secret).
        const signedKey =
          !intents ||
          (!!publicKey &&
            bindings.some(
              (b) =>
                b.viberId === target &&
                b.signedAt >= secret.updatedAt &&
                intents.bindingNamesKey(b, publicKey),
            ));
        if (!sealed[target] && publicKey && signedKey)
          wanted.set(resealKey(env.id, key, target), {
            env,
            key,
            target,
            targetKey: publicKey,
            updatedAt: secret.updatedAt,
          });
      }
    }
  }
  const reseals = resealsMap(viberDoc);
  const stale = [...reseals.keys()].filter((k) => !wanted.has(k));
  const fresh: [string, string][] = [];
  for (const [id, { env, key, target, targetKey, updatedAt }] of wanted) {
    if (reseals.has(id) && published.get(id) === updatedAt) continue;
    const opened = await openSecretCopy(env, key, viberId, keys);
    if (!opened?.ok) continue;
    const copy = await sealResealCopy(
      opened.value,
      { environmentId: env.id, key, viberId: target, updatedAt },
      { viberId, ...keys },
      targetKey,
    );
    fresh.push([id, copy]);
    published.set(id, updatedAt);
  }
  for (const key of stale) published.delete(key);
  if (stale.length || fresh.length) {
    viberDoc.transact(() => {
      for (const key of stale) reseals.delete(key);
      for (const [key, box] of fresh) reseals.set(key, box);
    });
  }
  return fresh.length;
}
