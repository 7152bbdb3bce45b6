// Shown status from desired and observed state (design §4): the one place this is decided.
import { BindingStatus, EnvironmentPill, ObservedState } from './enums.ts';
import type { Observation } from './viber-doc.ts';
import type { Binding } from './workspace-bindings.ts';

/**
 * No observation yet → pending; preparing → preparing; a generation the Viber has not reached yet →
 * pending; prepared from another spec → stale; otherwise the observed state (ready or error).
 */
export function deriveBindingStatus(
  binding: Pick<Binding, 'generation'>,
  observation: Observation | undefined,
  currentSpecHash: string,
): BindingStatus {
  if (!observation) return BindingStatus.pending;
  if (observation.state === ObservedState.preparing) return BindingStatus.preparing;
  if (observation.observedGeneration < binding.generation) return BindingStatus.pending;
  if (observation.specHash !== currentSpecHash) return BindingStatus.stale;
  return observation.state === ObservedState.ready ? BindingStatus.ready : BindingStatus.error;
}

/**
 * The environment's pill, its worst binding: no bindings → Unmapped; any error → Error; any on its
 * way → Preparing; any prepared from an older spec → Stale; else Ready.
 */
export function deriveEnvironmentPill(statuses: readonly BindingStatus[]): EnvironmentPill {
  if (statuses.length === 0) return EnvironmentPill.unmapped;
  if (statuses.includes(BindingStatus.error)) return EnvironmentPill.error;
  if (statuses.some((s) => s === BindingStatus.preparing || s === BindingStatus.pending))
    return EnvironmentPill.preparing;
  if (statuses.includes(BindingStatus.stale)) return EnvironmentPill.stale;
  return EnvironmentPill.ready;
}
