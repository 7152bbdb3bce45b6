// How bindings and tasks look in API responses.
import {
  deriveBindingStatus,
  environmentSpecHash,
  readObservation,
  viberDocName,
  type Binding,
  type Environment,
  type Observation,
} from '@openviber/shared';
import type { Services } from './api-context.ts';

export function bindingView(
  binding: Binding,
  env: Environment | undefined,
  observation: Observation | undefined,
) {
  const status = env ? deriveBindingStatus(binding, observation, environmentSpecHash(env, binding)) : 'error';
  return {
    ...binding,
    status,
    state: observation?.state ?? null,
    observedGeneration: observation?.observedGeneration ?? 0,
    step: observation?.step ?? '',
    lastError: observation?.lastError ?? '',
    resolvedWorkingDir: observation?.resolvedWorkingDir ?? '',
    lastPrepareAt: observation?.lastPrepareAt ?? 0,
  };
}

/** Bindings with their derived status, reading each Viber's document once. */
export async function bindingViews(
  s: Services,
  userId: string,
  bindings: Binding[],
  envs: Map<string, Environment>,
) {
  const byViber = new Map<string, Binding[]>();
  for (const b of bindings) byViber.set(b.viberId, [...(byViber.get(b.viberId) ?? []), b]);
  const views = new Map<string, ReturnType<typeof bindingView>>();
  for (const [viberId, list] of byViber) {
    await s.docs.read(viberDocName(userId, viberId), (doc) => {
      for (const b of list)
        views.set(b.id, bindingView(b, envs.get(b.environmentId), readObservation(doc, b.id)));
    });
  }
  return bindings.map((b) => views.get(b.id)!);
}
