// Shown status of bindings and environments, via the one shared derivation (design §4).
import {
  deriveBindingStatus,
  deriveEnvironmentPill,
  environmentSpecHash,
  type Binding,
  type BindingStatus,
  type Environment,
  type EnvironmentPill,
  type Observation,
} from '@openviber/shared';
import type { ViberView } from './vibers-model.ts';

export interface BindingView {
  binding: Binding;
  status: BindingStatus;
  observation: Observation | undefined;
  viber: ViberView | undefined;
}

/** Each binding of `env` with its derived status. */
export function bindingViews(
  env: Environment,
  bindings: Binding[],
  vibers: Map<string, ViberView>,
): BindingView[] {
  return bindings
    .filter((b) => b.environmentId === env.id)
    .map((binding) => {
      const viber = vibers.get(binding.viberId);
      const observation = viber?.observations.get(binding.id);
      return {
        binding,
        viber,
        observation,
        status: deriveBindingStatus(binding, observation, environmentSpecHash(env, binding)),
      };
    });
}

/** The environment's pill: Unmapped, Preparing, Ready or Error. */
export function environmentPill(
  env: Environment,
  bindings: Binding[],
  vibers: Map<string, ViberView>,
): EnvironmentPill {
  return deriveEnvironmentPill(bindingViews(env, bindings, vibers).map((v) => v.status));
}
