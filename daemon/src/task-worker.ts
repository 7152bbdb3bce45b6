// One task on this Viber: executes its messages once each, in order ([D4]), including those queued
// while the Viber was offline; honours cancels ([D5]); marks runs cut off by a restart interrupted.
import type * as Y from 'yjs';
import {
  ObservedState,
  RunState,
  TaskStatus,
  getBinding,
  getEnvironment,
  getRun,
  getTask,
  isCancelRequested,
  isFinalRunState,
  listBindings,
  listMessages,
  readObservation,
  writeRun,
  writeTaskRunSummary,
  type Message,
} from '@openviber/shared';
import { runMessage, type TaskRunDeps } from './task-runner.ts';
import { messageOf } from './viber-error.ts';

export interface TaskWorkerDeps extends Omit<TaskRunDeps, 'runDoc'> {
  workspace: Y.Doc;
  taskDoc: Y.Doc;
  runDoc: Y.Doc;
  /** Resolves when no prepare of the binding is running or due. */
  prepareSettled: (bindingId: string) => Promise<void>;
  log: (line: string) => void;
}

export class TaskWorker {
  readonly taskId: string;
  readonly #deps: TaskWorkerDeps;
  #pumping = false;
  #again = false;
  #current: { messageId: string; controller: AbortController } | null = null;
  #stopped = false;
  readonly #onChange = () => this.poke();

  constructor(taskId: string, deps: TaskWorkerDeps) {
    this.taskId = taskId;
    this.#deps = deps;
    deps.taskDoc.on('update', this.#onChange);
  }

  /** Something changed (a message, a cancel, the workspace): look again. */
  poke(): void {
    const current = this.#current;
    if (current && isCancelRequested(this.#deps.taskDoc, current.messageId))
      current.controller.abort('cancel');
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    void this.#pump();
  }

  /** Stops the running message (it is recorded interrupted) and takes no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.taskDoc.off('update', this.#onChange);
    this.#current?.controller.abort('shutdown');
    while (this.#pumping) await new Promise((r) => setTimeout(r, 20));
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        // A paused or archived task keeps its queue; it runs when the task is active again.
        const status = getTask(this.#deps.workspace, this.taskId)?.status;
        if (status && status !== TaskStatus.active) return;
        for (const message of listMessages(this.#deps.taskDoc)) {
          if (this.#stopped) return;
          await this.#handle(message);
        }
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#deps.log(`task ${this.taskId}: ${messageOf(error)}`);
    } finally {
      this.#pumping = false;
    }
  }

  async #handle(message: Message): Promise<void> {
    const { runDoc, taskDoc, viberDoc } = this.#deps;
    const run = getRun(runDoc, message.id);
    if (run && isFinalRunState(run.state)) return;
    const finish = (state: RunState, error: string) => {
      writeRun(runDoc, message.id, {
        state,
        error,
        endedAt: Date.now(),
        ...(run ? {} : { startedAt: 0, exitCode: null }),
      });
      writeTaskRunSummary(viberDoc, this.taskId, { messageId: message.id, state, updatedAt: Date.now() });
    };
    if (run)
      return finish(RunState.interrupted, 'the Viber restarted while this ran; send it again to rerun'); // cut off by a restart
    if (isCancelRequested(taskDoc, message.id))
      return finish(RunState.cancelled, 'cancelled before it started');

    const task = getTask(this.#deps.workspace, this.taskId);
    const binding =
      task &&
      listBindings(this.#deps.workspace, {
        environmentId: task.environmentId,
        viberId: this.#deps.viberId,
      })[0];
    if (!task || !binding) return finish(RunState.error, 'the task’s environment is not bound to this Viber');
    await this.#deps.prepareSettled(binding.id);
    const env = getEnvironment(this.#deps.workspace, task.environmentId);
    const fresh = getBinding(this.#deps.workspace, binding.id);
    const observation = fresh && readObservation(viberDoc, fresh.id);
    if (!env || !fresh) return finish(RunState.error, 'the task’s environment or binding was removed');
    if (!observation || observation.state !== ObservedState.ready) {
      return finish(
        RunState.error,
        `the environment is not ready on this Viber (${observation?.state ?? 'not prepared'}${observation?.lastError ? `: ${observation.lastError}` : ''})`,
      );
    }
    if (isCancelRequested(taskDoc, message.id))
      return finish(RunState.cancelled, 'cancelled before it started');

    const controller = new AbortController();
    this.#current = { messageId: message.id, controller };
    try {
      const state = await runMessage(
        { ...this.#deps },
        { taskId: this.taskId, message, env, binding: fresh, observation, signal: controller.signal },
      );
      this.#deps.log(`task ${this.taskId} message ${message.id}: ${state}`);
    } finally {
      this.#current = null;
    }
  }
}
