// One task on this Viber: executes its messages at most once each, in order ([D4], [V2]), including
// those queued while the Viber was offline; honours cancels ([D5]). The run journal, not the server,
// decides whether a message ran: a journalled run is never started again; one whose outcome the
// journal lacks was cut off by a crash and is recorded interrupted; a known outcome the documents
// lost is published again.
import type * as Y from 'yjs';
import {
  ControlEvent,
  ObservedState,
  RunState,
  TaskStatus,
  controlLogLine,
  getBinding,
  getEnvironment,
  getRun,
  getTask,
  isCancelRequested,
  isFinalRunState,
  listBindings,
  listMessages,
  type RunRecord,
  writeRun,
  writeTaskRunSummary,
  type Binding,
  type Environment,
  type Message,
  type Task,
} from '@openviber/shared';
import type { RunJournal, RunOutcome } from './run-journal.ts';
import { handlePushRequest } from './push.ts';
import { localObservations } from './local-observations.ts';
import { recordTranscriptEntry } from './transcript.ts';
import { runMessage, type TaskRunDeps } from './task-runner.ts';
import { messageOf } from './viber-error.ts';

export interface TaskWorkerDeps extends Omit<TaskRunDeps, 'runDoc'> {
  workspace: Y.Doc;
  taskDoc: Y.Doc;
  runDoc: Y.Doc;
  /** Resolves when no prepare of the binding is running or due. */
  prepareSettled: (bindingId: string) => Promise<void>;
  journal: RunJournal;
  /** Nothing is left to run while the task's updatedAt was `updatedAt` (or the task is not active). */
  onIdle: (updatedAt: number) => void;
  log: (line: string) => void;
}

export class TaskWorker {
  readonly taskId: string;
  readonly #deps: TaskWorkerDeps;
  #pumping: Promise<void> | null = null;
  #again = false;
  #current: { messageId: string; controller: AbortController } | null = null;
  #stopped = false;
  /** A message waits for a device's signature ([T5]): later ones wait behind it, and the task stays open. */
  #awaitingSignature = false;
  readonly #onChange = () => this.poke();

  constructor(taskId: string, deps: TaskWorkerDeps) {
    this.taskId = taskId;
    this.#deps = deps;
    deps.taskDoc.on('update', this.#onChange);
  }

  /** True while a message of this task is running. */
  get busy(): boolean {
    return this.#current !== null;
  }

  /** True while it looks for work or runs some: its slot is not idle, whatever it said before. */
  get working(): boolean {
    return this.#pumping !== null;
  }

  /** Something changed (a message, a cancel, the workspace): look again. */
  poke(): void {
    if (this.#stopped) return;
    const current = this.#current;
    if (current && this.#cancelRequested(current.messageId)) current.controller.abort('cancel');
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => (this.#pumping = null));
  }

  /** Stops the running message (it is recorded interrupted) and takes no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.taskDoc.off('update', this.#onChange);
    this.#current?.controller.abort('shutdown');
    await this.#pumping;
  }

  async #pump(): Promise<void> {
    let idleAt: number;
    // Waiting for a Viber update ([S12]): not idle, so the updated daemon opens this task again.
    let waitsForUpdate = false;
    try {
      do {
        this.#again = false;
        this.#awaitingSignature = false;
        // Read before the messages: a message added later bumps it, so "idle at" never hides one.
        const task = getTask(this.#deps.workspace, this.taskId);
        idleAt = task?.updatedAt ?? 0;
        const messages = listMessages(this.#deps.taskDoc);
        for (const message of messages) this.#settleJournalled(message.id);
        // A paused or archived task keeps its queue; it runs when the task is active again.
        if (task && task.status !== TaskStatus.active) continue;
        if (!this.#understands()) {
          waitsForUpdate = true;
          continue;
        }
        for (const message of messages) {
          if (this.#stopped) return;
          await this.#handle(message);
          if (this.#awaitingSignature) break; // in order: nothing runs past an unsigned message
        }
        // A push waiting for a device's signature keeps the task open, as a message does ([T5]).
        if (!this.#stopped && !(await handlePushRequest(this.#deps, this.taskId)))
          this.#awaitingSignature = true;
      } while (this.#again && !this.#stopped);
      if (!this.#stopped && !waitsForUpdate && !this.#awaitingSignature) this.#deps.onIdle(idleAt);
    } catch (error) {
      this.#deps.log(`task ${this.taskId}: ${messageOf(error)}`);
    }
  }

  /** False when the workspace or this task was written with a newer schema than this Viber reads ([S12]). */
  #understands(): boolean {
    const guard = this.#deps.schemaGuard;
    if (!guard) return true;
    return (
      guard.mayAct(this.#deps.workspace, 'the workspace') &&
      guard.mayAct(this.#deps.taskDoc, `task ${this.taskId}`)
    );
  }

  /**
   * A message the journal knows was started: it never starts again. Its outcome is published if the
   * documents lost it; one without an outcome was cut off by a crash and becomes interrupted.
   * Returns false for a message the journal does not know.
   */
  #settleJournalled(messageId: string): boolean {
    const { journal, runDoc } = this.#deps;
    const record = journal.run(this.taskId, messageId);
    if (!record) return false;
    if (this.#current?.messageId === messageId) return true;
    const run = getRun(runDoc, messageId);
    let outcome = record.outcome;
    if (!outcome) {
      // The run document (on our disk, written before the journal's end) may know how it ended.
      outcome =
        run && isFinalRunState(run.state)
          ? { state: run.state, exitCode: run.exitCode, endedAt: run.endedAt, error: run.error }
          : {
              state: RunState.interrupted,
              exitCode: null,
              endedAt: Date.now(),
              error: 'the Viber stopped while this ran; send it again to rerun',
            };
      journal.ended(this.taskId, messageId, outcome);
    }
    if (run?.state !== outcome.state) this.#publish(messageId, run, outcome, record.startedAt);
    return true;
  }

  #publish(messageId: string, run: RunRecord | null, outcome: RunOutcome, startedAt: number): void {
    writeRun(this.#deps.runDoc, messageId, { ...outcome, ...(run ? {} : { startedAt }) });
    writeTaskRunSummary(this.#deps.viberDoc, this.taskId, {
      messageId,
      state: outcome.state,
      updatedAt: outcome.endedAt,
    });
  }

  /** Records a final state decided without running the message, journal first. */
  #finish(message: Message, state: RunState, error: string): void {
    const outcome = { state, error, exitCode: null, endedAt: Date.now() };
    this.#deps.journal.ended(this.taskId, message.id, outcome);
    recordTranscriptEntry(this.#deps.stateDir, this.taskId, {
      messageId: message.id,
      text: message.text,
      state,
      exitCode: null,
      error,
      output: '',
    });
    this.#publish(message.id, getRun(this.#deps.runDoc, message.id), outcome, 0);
  }

  /** A cancel counts only when requested and, on a pinned Viber, signed ([T5]). */
  #cancelRequested(messageId: string): boolean {
    const { taskDoc, intents } = this.#deps;
    if (!isCancelRequested(taskDoc, messageId)) return false;
    return intents ? intents.mayCancel(this.taskId, taskDoc, messageId) : true;
  }

  /** On a pinned Viber: message, binding and environment all signed, else the message waits ([T5]). */
  #signed(task: Task, message: Message, binding: Binding, env?: Environment): boolean {
    const { intents, workspace } = this.#deps;
    const current = env ?? getEnvironment(workspace, task.environmentId);
    if (!intents || !current) return true;
    if (intents.mayRun(task, message, current, binding)) return true;
    this.#awaitingSignature = true;
    return false;
  }

  async #handle(message: Message): Promise<void> {
    const { runDoc, journal } = this.#deps;
    if (this.#settleJournalled(message.id)) return;
    const run = getRun(runDoc, message.id);
    if (run && isFinalRunState(run.state)) return;
    // A run record the journal does not know (written by a daemon before the journal): never rerun it.
    if (run)
      return this.#finish(
        message,
        RunState.interrupted,
        'the Viber restarted while this ran; send it again to rerun',
      );
    if (this.#cancelRequested(message.id))
      return this.#finish(message, RunState.cancelled, 'cancelled before it started');

    const task = getTask(this.#deps.workspace, this.taskId);
    const binding =
      task &&
      listBindings(this.#deps.workspace, {
        environmentId: task.environmentId,
        viberId: this.#deps.viberId,
      })[0];
    if (!task || !binding)
      return this.#finish(message, RunState.error, 'the task’s environment is not bound to this Viber');
    if (!this.#signed(task, message, binding)) return;
    await this.#deps.prepareSettled(binding.id);
    if (this.#stopped) return;
    const env = getEnvironment(this.#deps.workspace, task.environmentId);
    const fresh = getBinding(this.#deps.workspace, binding.id);
    // As this Viber recorded it, not as its document says: the server can write that ([T5]).
    const observation = fresh && localObservations(this.#deps.stateDir).read(fresh.id);
    if (!env || !fresh)
      return this.#finish(message, RunState.error, 'the task’s environment or binding was removed');
    if (!observation || observation.state !== ObservedState.ready) {
      return this.#finish(
        message,
        RunState.error,
        `the environment is not ready on this Viber (${observation?.state ?? 'not prepared'}${observation?.lastError ? `: ${observation.lastError}` : ''})`,
      );
    }
    if (this.#cancelRequested(message.id))
      return this.#finish(message, RunState.cancelled, 'cancelled before it started');

    // Checked again on what runs: the environment or binding may have changed while it prepared.
    if (!this.#signed(task, message, fresh, env)) return;

    // Durable before anything is spawned for the message: from here on it never starts again. If it
    // cannot be recorded (a full disk), nothing runs and the message waits for the next look.
    journal.started(this.taskId, message.id);
    const controller = new AbortController();
    this.#current = { messageId: message.id, controller };
    this.#deps.log(controlLogLine(ControlEvent.taskStarted, { task: this.taskId, message: message.id }));
    try {
      const state = await runMessage(
        { ...this.#deps },
        { taskId: this.taskId, message, env, binding: fresh, observation, signal: controller.signal },
      );
      const ended = getRun(runDoc, message.id);
      journal.ended(this.taskId, message.id, {
        state,
        exitCode: ended?.exitCode ?? null,
        endedAt: ended?.endedAt || Date.now(),
        error: ended?.error ?? '',
      });
      this.#deps.log(
        controlLogLine(state === RunState.completed ? ControlEvent.taskCompleted : ControlEvent.taskError, {
          task: this.taskId,
          message: message.id,
          state,
          exitCode: ended?.exitCode ?? null,
        }),
      );
    } finally {
      this.#current = null;
    }
  }
}
