// Reconciles desired against observed state for every binding of this Viber ([D1]): prepares a
// binding when its generation is ahead of what was observed, when a prepare was cut off by a
// restart, or when a secret it was missing has since been sealed for this Viber.
import type * as Y from 'yjs';
import {
  ControlEvent,
  ObservedState,
  PrepareStep,
  controlLogLine,
  getBinding,
  getEnvironment,
  listBindings,
  type Binding,
  type Environment,
  type ViberId,
} from '@openviber/shared';
import { MAX_CONCURRENT_PREPARES } from './limits.ts';
import { localObservations } from './local-observations.ts';
import { prepareBinding, type PrepareDeps } from './prepare.ts';
import { messageOf } from './viber-error.ts';

export interface ReconcilerDeps extends Omit<PrepareDeps, 'logDoc' | 'signal'> {
  workspace: Y.Doc;
  /** The binding's prepare log document, synced, and how to let go of it after the prepare. */
  openLogDoc: (bindingId: string) => Promise<{ doc: Y.Doc; close: () => void }>;
  log: (line: string) => void;
}

/** Which secrets are sealed for `viberId`: a change is worth retrying a prepare that missed one. */
const sealedSignature = (env: Environment, viberId: ViberId) =>
  Object.entries(env.secrets)
    .map(([k, s]) => `${k}:${s.sealed[viberId] ? 1 : 0}`)
    .sort()
    .join(',');

export class PrepareReconciler {
  readonly #deps: ReconcilerDeps;
  readonly #running = new Map<string, Promise<void>>();
  readonly #triedWithSecrets = new Map<string, string>();
  readonly #abort = new AbortController();
  readonly #waiters = new Set<() => void>();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  /** Starts a prepare for every binding of this Viber that needs one. */
  reconcile(): void {
    if (this.#abort.signal.aborted) return;
    // A workspace from a newer app is read, not acted on ([S12]): its spec may hold what we cannot read.
    if (this.#deps.schemaGuard?.mayAct(this.#deps.workspace, 'the workspace') === false) return;
    for (const binding of listBindings(this.#deps.workspace, { viberId: this.#deps.viberId })) {
      if (this.#running.has(binding.id)) continue;
      // The rest wait: each finished prepare reconciles again.
      if (this.#running.size >= MAX_CONCURRENT_PREPARES) return;
      const env = getEnvironment(this.#deps.workspace, binding.environmentId);
      if (env && this.#needsPrepare(binding, env)) this.#start(binding, env);
    }
  }

  /** True while a prepare of the binding runs. */
  isRunning(bindingId: string): boolean {
    return this.#running.has(bindingId);
  }

  /** Resolves once no prepare of this binding is running or due (or the reconciler stopped). */
  async settled(bindingId: string): Promise<void> {
    while (!this.#abort.signal.aborted) {
      const running = this.#running.get(bindingId);
      if (running) {
        await running;
        continue;
      }
      if (!this.#isDue(bindingId)) return;
      // Due but waiting for a free prepare slot: look again when a prepare ends.
      await new Promise<void>((r) => this.#waiters.add(r));
    }
  }

  #isDue(bindingId: string): boolean {
    const binding = getBinding(this.#deps.workspace, bindingId);
    const env = binding && getEnvironment(this.#deps.workspace, binding.environmentId);
    return !!binding && !!env && binding.viberId === this.#deps.viberId && this.#needsPrepare(binding, env);
  }

  /** A prepare ended: start the next ones, and wake whoever waits for a binding to settle. */
  #changed(): void {
    this.reconcile();
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Aborts running prepares; resolves once they have recorded themselves. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#changed();
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Due, and (on a pinned Viber) signed: unsigned work waits and is shown refused ([T5]). */
  #needsPrepare(binding: Binding, env: Environment): boolean {
    return this.#wantsPrepare(binding, env) && (this.#deps.intents?.mayPrepare(binding, env) ?? true);
  }

  #wantsPrepare(binding: Binding, env: Environment): boolean {
    const observed = localObservations(this.#deps.stateDir).read(binding.id);
    if (!observed || observed.observedGeneration < binding.generation) return true;
    if (observed.state === ObservedState.preparing) return true; // cut off by a restart
    if (observed.state === ObservedState.error && observed.step === PrepareStep.secrets) {
      const signature = sealedSignature(env, this.#deps.viberId);
      return this.#triedWithSecrets.get(binding.id) !== signature;
    }
    return false;
  }

  #start(binding: Binding, env: Environment): void {
    this.#triedWithSecrets.set(binding.id, sealedSignature(env, this.#deps.viberId));
    const run = (async () => {
      this.#deps.log(
        controlLogLine(ControlEvent.environmentPrepare, {
          binding: binding.id,
          environment: env.id,
          generation: binding.generation,
        }),
      );
      const log = await this.#deps.openLogDoc(binding.id);
      try {
        const state = await prepareBinding(
          { ...this.#deps, logDoc: log.doc, signal: this.#abort.signal },
          binding,
          env,
        );
        this.#deps.log(controlLogLine(ControlEvent.environmentStatus, { binding: binding.id, state }));
      } finally {
        log.close();
      }
    })()
      .catch((error: unknown) =>
        this.#deps.log(`binding ${binding.id}: prepare crashed: ${messageOf(error)}`),
      )
      .finally(() => {
        this.#running.delete(binding.id);
        this.#changed();
      });
    this.#running.set(binding.id, run);
  }
}
