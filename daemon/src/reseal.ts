// Secret re-seal ([X5]): for a bound Viber that lacks a ciphertext this Viber holds, publish the
// secret sealed to its public key in our own document; a user's device copies it into the workspace.
import type * as Y from 'yjs';
import { getViber, listBindings, listEnvironments, resealKey, resealsMap } from '@openviber/shared';
import { openSealed, sealSecret, type KeyPair } from '@openviber/shared/crypto';
import type { IntentGuard } from './intent-guard.ts';

/**
 * Publishes missing re-seals and drops those already copied; returns how many it published.
 * `published` remembers which value (updatedAt) each re-seal carries, so a replaced value is re-sealed again.
 */
export async function publishReseals(
  workspace: Y.Doc,
  viberDoc: Y.Doc,
  viberId: string,
  keys: KeyPair,
  published: Map<string, number>,
  /** On a pinned Viber ([T5]): only a signed copy of ours is passed on, only to a key the user signed. */
  intents?: IntentGuard,
): Promise<number> {
  const wanted = new Map<string, { box: string; targetKey: string; updatedAt: number }>();
  for (const env of listEnvironments(workspace)) {
    const bindings = listBindings(workspace, { environmentId: env.id });
    const targets = new Set(bindings.map((b) => b.viberId as string));
    targets.delete(viberId);
    for (const [key, secret] of Object.entries(env.secrets)) {
      const sealed = secret.sealed as Record<string, string>;
      if (!sealed[viberId] || (intents && !intents.ownCopyVerified(env, key))) continue;
      for (const target of targets) {
        const publicKey = getViber(workspace, target)?.publicKey;
        const signedKey =
          !intents ||
          (!!publicKey &&
            bindings.some((b) => b.viberId === target && intents.bindingNamesKey(b, publicKey)));
        if (!sealed[target] && publicKey && signedKey)
          wanted.set(resealKey(env.id, key, target), {
            box: sealed[viberId],
            targetKey: publicKey,
            updatedAt: secret.updatedAt,
          });
      }
    }
  }
  const reseals = resealsMap(viberDoc);
  const stale = [...reseals.keys()].filter((k) => !wanted.has(k));
  const fresh: [string, string][] = [];
  for (const [key, { box, targetKey, updatedAt }] of wanted) {
    if (reseals.has(key) && published.get(key) === updatedAt) continue;
    const opened = await openSealed(box, keys);
    if (!opened.ok) continue;
    fresh.push([key, await sealSecret(opened.value, targetKey)]);
    published.set(key, updatedAt);
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
