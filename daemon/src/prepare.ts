// One prepare (design §4, [D1]-[D3]): one binding from desired to observed state, step by step.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Y from 'yjs';
import {
  BindingStrategy,
  ObservedState,
  PREPARE_FIELDS,
  PrepareStep,
  Redactor,
  SetupMode,
  environmentSpecHash,
  resetPrepareLog,
  writeObservation,
  type Binding,
  type Environment,
} from '@openviber/shared';
import { openEnvironmentSecrets, phaseEnv } from './env-secrets.ts';
import { lastLines, runGit } from './git-executor.ts';
import { readHeadCommit } from './git-head.ts';
import { headRevisionTask, isWorkTreeTask } from './git-tasks.ts';
import { localObservations } from './local-observations.ts';
import { prepareLogWriter, type PrepareLogWriter } from './prepare-log.ts';
import { forgetPrepareState, readPrepareState, setupKey, writePrepareState } from './prepare-state.ts';
import { describeEnd } from './runner.ts';
import { checkContainerImage } from './container-check.ts';
import { bashScript, cacheVolumeName } from './sandbox.ts';
import { detectInstallSteps } from './setup-detect.ts';
import { syncSource } from './source-sync.ts';
import type { ViberContext } from './viber-context.ts';
import { messageOf, ViberError } from './viber-error.ts';
import { checkoutDir, resolveWorkingDir } from './working-dir.ts';

export interface PrepareDeps extends ViberContext {
  logDoc: Y.Doc;
  setupTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A peer's bad value in a field a prepare depends on stops the prepare (it read as a default). */
const PREPARE_FIELD_SET = new Set<string>(PREPARE_FIELDS);

class StepError extends ViberError {
  readonly step: PrepareStep;
  constructor(step: PrepareStep, message: string) {
    super('prepare_failed', message);
    this.step = step;
  }
}

/** Prepares `binding`; records preparing, then ready or error (with the failing step), in the Viber document. */
export async function prepareBinding(
  deps: PrepareDeps,
  binding: Binding,
  env: Environment,
): Promise<ObservedState> {
  const specHash = environmentSpecHash(env, binding);
  const observe = (fields: Parameters<typeof writeObservation>[2]) =>
    localObservations(deps.stateDir).observe(deps.viberDoc, binding.id, fields);
  resetPrepareLog(deps.logDoc, binding.generation);
  observe({
    observedGeneration: binding.generation,
    state: ObservedState.preparing,
    step: PrepareStep.secrets,
    specHash,
    lastError: '',
  });
  let redactor = new Redactor([]);
  const log = prepareLogWriter(deps.logDoc, () => redactor);
  let step: PrepareStep = PrepareStep.validate;
  try {
    const bad = env.problems.filter((p) => PREPARE_FIELD_SET.has(p.field));
    if (bad.length) throw new StepError(step, bad.map((p) => `${p.field} ${p.message}`).join('; '));

    step = PrepareStep.secrets;
    const secrets = await openEnvironmentSecrets(env, deps.viberId, deps.keys, deps.ownSecrets);
    redactor = secrets.redactor();
    if (secrets.missing.length) {
      throw new StepError(
        step,
        `secret ${secrets.missing.join(', ')} is not sealed for this Viber yet; open the environment in the app to re-seal it`,
      );
    }

    step = PrepareStep.source;
    log.step(step);
    observe({ step });
    const checkout = checkoutDir(deps.root, binding, env);
    const token = secrets.opened.find((s) => s.name === 'GIT_TOKEN')?.value;
    const sourceUrl = env.repoUrl || env.localPath;
    let revision = '';
    if (binding.strategy === BindingStrategy.clone && sourceUrl) {
      revision = await syncSource({
        runner: deps.runner,
        root: deps.root,
        dir: checkout,
        url: sourceUrl,
        branch: env.repoBranch,
        token,
        redactor,
        // git's own output is already redacted by the runner; our lines (the URL, say) are redacted here.
        log: (text) => log.output(redactor.redact(text)),
        signal: deps.signal,
        // A new checkout (another URL spelling, a mirror) has none of setup's output, same revision or not.
        onClone: () => forgetPrepareState(deps.stateDir, binding.id),
      });
    } else if (binding.strategy === BindingStrategy.clone) {
      mkdirSync(checkout, { recursive: true });
    } else if (!existsSync(checkout) || !statSync(checkout).isDirectory()) {
      throw new StepError(step, `existingPath ${checkout} is not a directory on this Viber`);
    }
    const cwd = resolveWorkingDir(deps.root, checkout, env.workingDir, binding.strategy);
    // What the binding's git and scripts reach of the workspace: its checkout, nothing else.
    const reach = [checkout];
    if (!existsSync(cwd))
      throw new StepError(step, `workingDir '${env.workingDir}' does not exist in the checkout`);
    // A fresh clone or fetch already told us the revision; ask git only for other checkouts.
    const isGit =
      revision !== '' ||
      (await runGit(isWorkTreeTask(), { runner: deps.runner, cwd, reach, redactor }).catch(() => false));
    if (isGit && !revision)
      revision = await runGit(headRevisionTask(), { runner: deps.runner, cwd, reach, redactor });
    if (revision) log.note(`at revision ${revision}`);
    observe({ resolvedWorkingDir: cwd });
    // The engine may have changed since the daemon started, and an image without bash fails obscurely.
    if (env.containerImage)
      await checkContainerImage(deps.runner, env.containerImage, cwd, deps.signal, deps.viberDoc);

    step = PrepareStep.vars;
    const setupEnv = phaseEnv(env, secrets.opened, 'setup');
    const detected = env.setupMode === SetupMode.auto ? detectInstallSteps(cwd) : [];
    if (detected.length) log.note(`auto setup: ${detected.join(' && ')} (from the lockfiles)`);
    const script = [...detected, env.setupScript].filter((s) => s.trim()).join('\n');
    const key = setupKey({ script, revision, env: setupEnv });
    const state = readPrepareState(deps.stateDir, binding.id);
    const runScript = async (
      name: typeof PrepareStep.setup | typeof PrepareStep.maintenance,
      body: string,
    ) => {
      step = name;
      log.step(name);
      observe({ step: name });
      log.note(`$ ${name} script`);
      const result = await deps.runner.run({
        label: `${name} binding ${binding.id}`,
        command: bashScript(body),
        policy: { network: true, containerImage: env.containerImage, cacheVolume: cacheVolumeName(env.id) },
        containerName: `viber-prepare-${binding.id}`,
        cwd,
        reach,
        env: { ...process.env, ...setupEnv },
        containerEnvKeys: Object.keys(setupEnv),
        redactor,
        onOutput: log.output,
        timeoutMs: deps.setupTimeoutMs ?? 30 * 60_000,
        signal: deps.signal,
      });
      if (result.exitCode !== 0)
        throw new StepError(name, `${name} script ${describeEnd(result)}\n${lastLines(result.tail, 20)}`);
    };
    if (state?.setupKey !== key) {
      if (script) await runScript(PrepareStep.setup, script);
      else log.note('no setup script');
      writePrepareState(deps.stateDir, binding.id, { setupKey: key, revision });
    } else if (env.maintenanceScript.trim()) {
      log.note('setup already ran for this script, revision, variables and secrets; running maintenance');
      await runScript(PrepareStep.maintenance, env.maintenanceScript);
    } else {
      log.note('setup already ran for this script, revision, variables and secrets; nothing to do');
    }

    step = PrepareStep.health;
    log.step(step);
    if (!existsSync(cwd)) throw new StepError(step, `the working directory ${cwd} is gone`);
    // HEAD still names a commit that is there (a setup may have broken the checkout): read from the
    // repository's files when they say so plainly (git-head.ts), else asked of git.
    if (isGit && !readHeadCommit(repositoryRoot(checkout, cwd)))
      await runGit(headRevisionTask(), { runner: deps.runner, cwd, reach, redactor });
    log.note('ready');
    log.flush();
    observe({
      state: ObservedState.ready,
      step: PrepareStep.ready,
      lastPrepareAt: Date.now(),
      lastError: '',
    });
    return ObservedState.ready;
  } catch (error) {
    if (deps.signal?.aborted) {
      // The daemon is stopping: leave the binding `preparing`, so the next start prepares it again.
      log.note('interrupted: the Viber is shutting down; the prepare resumes on its next start');
      log.flush();
      return ObservedState.preparing;
    }
    return fail(deps, binding.id, log, redactor, error instanceof StepError ? error.step : step, error);
  }
}

function fail(
  deps: PrepareDeps,
  bindingId: string,
  log: PrepareLogWriter,
  redactor: Redactor,
  step: PrepareStep,
  error: unknown,
): ObservedState {
  const message = redactor.redact(`${step} failed: ${messageOf(error)}`);
  log.note(message);
  log.flush();
  localObservations(deps.stateDir).observe(deps.viberDoc, bindingId, {
    state: ObservedState.error,
    step,
    lastPrepareAt: Date.now(),
    lastError: message,
  });
  return ObservedState.error;
}

/**
 * The folder whose `.git` git finds for `cwd`, when it is inside the checkout: the nearest with one
 * at or above `cwd`, up to the checkout (git looks further up; then git is asked).
 */
function repositoryRoot(checkout: string, cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git')) || dir === checkout || dir === dirname(dir)) return dir;
  }
}
