// Which tasks this Viber holds open ([V3]). A Viber's history grows forever, so it opens a task's
// two documents only while the task has work pending for it: not archived or paused, and either
// changed (`updatedAt`) since the journal last found all its messages finished, or holding a run a
// crash cut off. At most MAX_OPEN_TASKS are open; idle ones are closed after IDLE_TASK_CLOSE_MS, or
// at once when a waiting task needs the slot.
import type * as Y from 'yjs';
import { TaskStatus, changesDocName, runOutputDocName, taskDocName, type Task } from '@openviber/shared';
import type { Connection } from './connection.ts';
import { EVICT_IDLE_AFTER_MS, IDLE_TASK_CLOSE_MS, MAX_OPEN_TASKS, REFUSED_TASK_RETRY_MS } from './limits.ts';
import type { RunJournal } from './run-journal.ts';
import type { TaskWorker } from './task-worker.ts';

export interface TaskSlotsDeps {
  conn: Connection;
  userId: string;
  viberId: string;
  /** Where the Viber keeps its own documents on disk. */
  localDir: string;
  journal: RunJournal;
  /** Builds the worker of a task once its documents synced; `onIdle` must reach `TaskSlots.idle`. */
  makeWorker(taskId: string, taskDoc: Y.Doc, runDoc: Y.Doc, changesDoc: Y.Doc): TaskWorker;
  /** A task's documents were closed (what is left of a deleted task can go now). */
  onReleased(taskId: string): void;
}

interface Slot {
  worker: TaskWorker | null;
  /** When the worker last found nothing to run (null while it has work). */
  idleSince: number | null;
}

export class TaskSlots {
  readonly #deps: TaskSlotsDeps;
  readonly #slots = new Map<string, Slot>();
  readonly #closing = new Set<string>();
  /** Tasks whose journal holds a run without an outcome: opened whatever their status. */
  readonly #unfinished: Set<string>;
  /** Tasks a document of which the server refused: not opened again before this time. */
  readonly #refusedUntil = new Map<string, number>();
  #stopped = false;

  constructor(deps: TaskSlotsDeps) {
    this.#deps = deps;
    this.#unfinished = new Set(deps.journal.unfinishedTasks());
  }

  /** How many tasks are open (for logs and tests). */
  get open(): number {
    return this.#slots.size;
  }

  /** True while some task's worker is looking at work or running a message. */
  get anyWorking(): boolean {
    return [...this.#slots.values()].some((slot) => slot.worker?.working);
  }

  /** True while the task's worker or documents are open (or still closing). */
  isOpen(taskId: string): boolean {
    return this.#slots.has(taskId) || this.#closing.has(taskId);
  }

  /** Opens, pokes and closes task slots for `tasks` (this Viber's, most recently active first). */
  reconcile(tasks: Task[]): void {
    if (this.#stopped) return;
    const byId = new Map(tasks.map((t) => [t.id as string, t]));
    const now = Date.now();
    for (const [taskId, slot] of this.#slots) {
      const task = byId.get(taskId);
      // Deleted, or moved to another Viber: stop its run and let go of its documents.
      if (!task) void this.release(taskId);
      else if (slot.worker && this.#hasWork(task)) {
        slot.idleSince = null;
        slot.worker.poke();
      } else if (this.#idleFor(slot, now, taskId) >= IDLE_TASK_CLOSE_MS) void this.release(taskId);
    }
    for (const [taskId, until] of this.#refusedUntil) if (until <= now) this.#refusedUntil.delete(taskId);
    for (const task of tasks) {
      if (this.#slots.has(task.id) || this.#refusedUntil.has(task.id) || !this.#hasWork(task)) continue;
      if (this.#slots.size >= MAX_OPEN_TASKS && !this.#evictIdle()) break;
      this.#openSlot(task.id);
    }
  }

  /** The worker of `taskId` found nothing more to run while the task's updatedAt was `updatedAt`. */
  idle(taskId: string, updatedAt: number): void {
    this.#deps.journal.idle(taskId, updatedAt);
    this.#unfinished.delete(taskId);
    const slot = this.#slots.get(taskId);
    if (slot) slot.idleSince = Date.now();
  }

  /** Stops the task's worker and closes its documents (their local copies stay). */
  async release(taskId: string): Promise<void> {
    const slot = this.#slots.get(taskId);
    if (!slot) return;
    this.#slots.delete(taskId);
    this.#closing.add(taskId);
    try {
      await slot.worker?.stop();
    } finally {
      for (const name of this.#documentsOf(taskId)) this.#deps.conn.close(name);
      this.#closing.delete(taskId);
      if (!this.#stopped) this.#deps.onReleased(taskId);
    }
  }

  /** Stops every worker (running messages are recorded interrupted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#slots.keys()].map((id) => this.release(id)));
  }

  #hasWork(task: Task): boolean {
    // Deleted here once: a task the server brings back is not run again ([V5]).
    if (this.#deps.journal.wasForgotten(task.id)) return false;
    if (this.#unfinished.has(task.id)) return true;
    return task.status === TaskStatus.active && this.#deps.journal.idleAt(task.id) !== task.updatedAt;
  }

  #evictIdle(): boolean {
    const now = Date.now();
    for (const [taskId, slot] of this.#slots) {
      if (this.#idleFor(slot, now, taskId) < EVICT_IDLE_AFTER_MS) continue;
      void this.release(taskId);
      return true;
    }
    return false;
  }

  /**
   * How long the slot has been idle (-1: not idle). A worker looking at a change again (a message
   * that arrived after it went idle) is not idle, whatever it said before; and one that just went
   * idle is not taken yet: the task's bump in the workspace can reach this Viber before the message
   * in the task's own document, so "nothing to run at updatedAt" may be a moment early — closed
   * then, the message arriving next would never be seen, and the task would never open again.
   */
  #idleFor(slot: Slot, now: number, taskId: string): number {
    if (slot.idleSince === null || slot.worker?.working || this.#unsynced(taskId)) return -1;
    return now - slot.idleSince;
  }

  /**
   * True while one of the task's documents holds what the server has not acknowledged (a run that
   * ended while the server was down): closed then, its final state would never reach the server —
   * the task is idle, so nothing would open it again.
   */
  #unsynced(taskId: string): boolean {
    return this.#documentsOf(taskId).some((name) => this.#deps.conn.isUnsynced(name));
  }

  /** The documents an open task holds (DOCUMENTS_PER_OPEN_TASK): its own, its run output, its changes. */
  #documentsOf(taskId: string): [string, string, string] {
    const { userId, viberId } = this.#deps;
    return [
      taskDocName(userId, taskId),
      runOutputDocName(userId, viberId, taskId),
      changesDocName(userId, viberId, taskId),
    ];
  }

  #openSlot(taskId: string): void {
    const { conn, localDir } = this.#deps;
    const slot: Slot = { worker: null, idleSince: null };
    this.#slots.set(taskId, slot);
    const [taskName, runName, changesName] = this.#documentsOf(taskId);
    const taskDoc = conn.open(taskName);
    const runDoc = conn.open(runName, { localDir });
    const changesDoc = conn.open(changesName, { localDir });
    Promise.all([taskDoc.synced, runDoc.synced, changesDoc.synced]).then(
      () => {
        if (this.#slots.get(taskId) !== slot) return; // released while it synced
        slot.worker = this.#deps.makeWorker(taskId, taskDoc.doc, runDoc.doc, changesDoc.doc);
        slot.worker.poke();
      },
      // Closed before it synced: released already, or a document refused by the server (closed by
      // the daemon): let the slot go too, so the task is opened again at a later reconcile.
      () => {
        if (this.#slots.get(taskId) !== slot) return;
        this.#refusedUntil.set(taskId, Date.now() + REFUSED_TASK_RETRY_MS);
        void this.release(taskId);
      },
    );
  }
}
