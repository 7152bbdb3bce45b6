// The run journal: this Viber's own durable memory of what it started ([V2]). "started" is fsync'd
// BEFORE a message's process is spawned, so no crash of the server or of the daemon can make the
// Viber start a message twice: whatever the server's documents say, a message with a record never
// starts again. The outcome is recorded when the run ends; a record without one is `interrupted`.
// It also remembers which tasks were idle at which `updatedAt`, so a restart opens only tasks with
// work pending ([V3]), and which tasks were deleted (their ids only, the newest MAX_FORGOTTEN_TASKS):
// a deleted task is never opened again, so a server that brings back a deleted task with its signed
// messages cannot make them run a second time ([V5], [T5]).
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { RunState } from '@openviber/shared';
import { replaceFile } from './durable-file.ts';

export interface RunOutcome {
  state: RunState;
  exitCode: number | null;
  endedAt: number;
  error: string;
}

export interface JournalRun {
  startedAt: number;
  /** Undefined while (or if) the run's end was never recorded. */
  outcome?: RunOutcome;
}

type Entry =
  | { k: 'start'; t: string; m: string; at: number }
  | ({ k: 'end'; t: string; m: string } & RunOutcome)
  | { k: 'idle'; t: string; u: number }
  | { k: 'push'; t: string; r: string }
  | { k: 'forget'; t: string };

interface TaskEntry {
  runs: Map<string, JournalRun>;
  /** The task's updatedAt when all its messages were last found finished. */
  idleAt?: number;
  /** Push requests this Viber started ([T5]: each at most once, whatever the documents say). */
  pushes?: Set<string>;
}

/** Deleted tasks whose ids are kept (~40 bytes each in memory and in the file); the oldest go first. */
export const MAX_FORGOTTEN_TASKS = 50_000;

/** Lines appended before the journal is rewritten with only what it still needs. */
const COMPACT_AFTER_LINES = 2_000;

export class RunJournal {
  readonly #file: string;
  readonly #tasks = new Map<string, TaskEntry>();
  /** Deleted tasks, oldest first (a Set keeps insertion order). */
  readonly #forgotten = new Set<string>();
  #fd: number;
  #lines = 0;
  #compactAt = COMPACT_AFTER_LINES;

  readonly #maxForgotten: number;

  constructor(stateDir: string, options: { maxForgotten?: number } = {}) {
    this.#maxForgotten = options.maxForgotten ?? MAX_FORGOTTEN_TASKS;
    this.#file = join(stateDir, 'run-journal.jsonl');
    if (existsSync(this.#file)) {
      const stored = readFileSync(this.#file);
      for (const line of stored.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          this.#apply(JSON.parse(line) as Entry);
          this.#lines++;
        } catch {
          // a torn last line: its append never returned, so nothing relied on it
        }
      }
      // ...and it is cut off before anything is appended: glued onto it, the next record (a
      // message's fsync'd start) would be unreadable after the next restart, and the message run again.
      const whole = stored.lastIndexOf(0x0a) + 1;
      if (whole < stored.length) truncateSync(this.#file, whole);
    }
    this.#fd = openSync(this.#file, 'a', 0o600);
  }

  run(taskId: string, messageId: string): JournalRun | undefined {
    return this.#tasks.get(taskId)?.runs.get(messageId);
  }

  /** Durably records that the message is about to start. Call BEFORE spawning anything for it. */
  started(taskId: string, messageId: string, at = Date.now()): void {
    this.#append({ k: 'start', t: taskId, m: messageId, at });
  }

  ended(taskId: string, messageId: string, outcome: RunOutcome): void {
    this.#append({ k: 'end', t: taskId, m: messageId, ...outcome });
  }

  /** Every message of the task was finished when the task's updatedAt was `updatedAt`. */
  idle(taskId: string, updatedAt: number): void {
    if (this.#tasks.get(taskId)?.idleAt === updatedAt) return;
    // Not fsync'd: a lost idle mark only makes the next start look at the task once more.
    this.#append({ k: 'idle', t: taskId, u: updatedAt }, false);
  }

  /** Durably records that the push request is about to run. Call BEFORE committing or pushing. */
  pushStarted(taskId: string, requestId: string): void {
    this.#append({ k: 'push', t: taskId, r: requestId });
  }

  pushHandled(taskId: string, requestId: string): boolean {
    return this.#tasks.get(taskId)?.pushes?.has(requestId) ?? false;
  }

  idleAt(taskId: string): number | undefined {
    return this.#tasks.get(taskId)?.idleAt;
  }

  /** Tasks with a run that started and has no recorded end (cut off by a crash). */
  unfinishedTasks(): string[] {
    return [...this.#tasks].filter(([, t]) => [...t.runs.values()].some((r) => !r.outcome)).map(([id]) => id);
  }

  /** Every task the journal holds records for. */
  taskIds(): string[] {
    return [...this.#tasks.keys()];
  }

  /** The task was deleted: its records go, its id stays (see wasForgotten). */
  forget(taskId: string): void {
    if (this.#tasks.has(taskId)) this.#append({ k: 'forget', t: taskId });
  }

  /** True for a task this Viber forgot as deleted: it is never opened again, whatever the server says. */
  wasForgotten(taskId: string): boolean {
    return this.#forgotten.has(taskId);
  }

  close(): void {
    closeSync(this.#fd);
  }

  /**
   * Appends one line whole or not at all (a full disk can take half a line: the file is cut back to
   * where it was, so the next line is not glued onto a torn one), then applies it. Throws when the
   * line could not be written: nothing relies on it then.
   */
  #append(entry: Entry, durable = true): void {
    const line = Buffer.from(JSON.stringify(entry) + '\n');
    const size = fstatSync(this.#fd).size;
    try {
      for (let done = 0; done < line.length;) done += writeSync(this.#fd, line, done);
      if (durable) fsyncSync(this.#fd);
    } catch (error) {
      try {
        ftruncateSync(this.#fd, size);
      } catch {
        // the torn line stays; it is skipped when the journal is read
      }
      throw error;
    }
    this.#apply(entry);
    if (++this.#lines >= this.#compactAt) {
      try {
        this.#compact();
      } catch {
        // The line is written and the old file intact: compaction is tried again later.
        this.#compactAt = this.#lines + COMPACT_AFTER_LINES;
      }
    }
  }

  #apply(e: Entry): void {
    if (e.k === 'forget') {
      this.#tasks.delete(e.t);
      this.#forgotten.delete(e.t);
      this.#forgotten.add(e.t);
      if (this.#forgotten.size > this.#maxForgotten)
        this.#forgotten.delete(this.#forgotten.values().next().value!);
      return;
    }
    // Records of a forgotten task are never taken again (a replayed or stale line).
    if (this.#forgotten.has(e.t)) return;
    let task = this.#tasks.get(e.t);
    if (!task) this.#tasks.set(e.t, (task = { runs: new Map() }));
    if (e.k === 'idle') task.idleAt = e.u;
    else if (e.k === 'push') (task.pushes ??= new Set()).add(e.r);
    else if (e.k === 'start') task.runs.set(e.m, { startedAt: e.at });
    else {
      const { state, exitCode, endedAt, error } = e;
      const run = task.runs.get(e.m) ?? { startedAt: 0 };
      run.outcome = { state, exitCode, endedAt, error };
      task.runs.set(e.m, run);
    }
  }

  /** Rewrites the journal with the live records only (atomically: a crash keeps the old file). */
  #compact(): void {
    const lines: string[] = [];
    for (const t of this.#forgotten) lines.push(JSON.stringify({ k: 'forget', t }));
    for (const [t, task] of this.#tasks) {
      for (const [m, run] of task.runs) {
        lines.push(JSON.stringify({ k: 'start', t, m, at: run.startedAt }));
        if (run.outcome) lines.push(JSON.stringify({ k: 'end', t, m, ...run.outcome }));
      }
      if (task.idleAt !== undefined) lines.push(JSON.stringify({ k: 'idle', t, u: task.idleAt }));
      for (const r of task.pushes ?? []) lines.push(JSON.stringify({ k: 'push', t, r }));
    }
    // Replaced before the old descriptor is let go: if the write fails, appends still reach the old file.
    replaceFile(this.#file, lines.map((l) => l + '\n').join(''));
    closeSync(this.#fd);
    this.#fd = openSync(this.#file, 'a', 0o600);
    this.#lines = lines.length;
    // Half the file is live at most right after a compaction, so its cost stays linear overall.
    this.#compactAt = Math.max(COMPACT_AFTER_LINES, 2 * lines.length);
  }
}
