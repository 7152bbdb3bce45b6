// [V1] [V3] Which tasks stay open: a slot is closed only when its worker is not looking at work, has
// been idle a moment, and the server holds everything its documents wrote.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { TaskStatus, type Task } from '@openviber/shared';
import type { Connection } from './connection.ts';
import { EVICT_IDLE_AFTER_MS, IDLE_TASK_CLOSE_MS } from './limits.ts';
import { RunJournal } from './run-journal.ts';
import { TaskSlots } from './task-slots.ts';
import type { TaskWorker } from './task-worker.ts';
import { tempDir } from '../test/temp-dir.ts';

/** Lets a release (its worker's stop, then the documents' close) run through. */
const settle = () => new Promise((r) => setTimeout(r, 10));

function world() {
  const unsynced = new Set<string>();
  const closed: string[] = [];
  const conn = {
    open: (name: string) => ({ name, doc: new Y.Doc(), provider: null, synced: Promise.resolve() }),
    close: (name: string) => void closed.push(name),
    isUnsynced: (name: string) => unsynced.has(name),
  } as unknown as Connection;
  const workers = new Map<string, { working: boolean }>();
  const slots = new TaskSlots({
    conn,
    userId: 'usr_1',
    viberId: 'vbr_1',
    localDir: tempDir(),
    journal: new RunJournal(tempDir()),
    makeWorker: (taskId) => {
      const worker = { working: false, poke: () => undefined, stop: async () => undefined };
      workers.set(taskId, worker);
      return worker as unknown as TaskWorker;
    },
    onReleased: () => undefined,
  });
  const task = (id: string, updatedAt: number): Task =>
    ({
      id,
      environmentId: 'env_1',
      viberId: 'vbr_1',
      title: 't',
      status: TaskStatus.active,
      createdAt: 1,
      updatedAt,
    }) as Task;
  return { slots, unsynced, closed, workers, task };
}

describe('task slots', () => {
  afterEach(() => vi.useRealTimers());

  it('[V1] an idle task whose run output the server has not acknowledged (it ended while the server was down) stays open until it has', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const w = world();
    const t = w.task('tsk_1', 10);
    w.slots.reconcile([t]);
    await vi.waitFor(() => expect(w.workers.size).toBe(1));
    w.slots.idle('tsk_1', 10);
    w.unsynced.add('u/usr_1/viber/vbr_1/run/tsk_1');
    vi.advanceTimersByTime(IDLE_TASK_CLOSE_MS + 1_000);
    w.slots.reconcile([t]);
    await settle();
    expect(w.closed).toEqual([]);
    // The server is back and acknowledged it: now it closes.
    w.unsynced.clear();
    w.slots.reconcile([t]);
    await vi.waitFor(() => expect(w.closed).toContain('u/usr_1/viber/vbr_1/run/tsk_1'));
  });

  it('[V3] a slot is taken for a waiting task only from a worker idle a moment and not looking at work again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const w = world();
    const tasks = Array.from({ length: 24 }, (_, i) => w.task(`tsk_${i}`, 10));
    w.slots.reconcile(tasks);
    await vi.waitFor(() => expect(w.workers.size).toBe(24));
    for (const t of tasks) w.slots.idle(t.id, 10);
    // A message trailed its bump: tsk_0's worker is picking it up.
    w.workers.get('tsk_0')!.working = true;
    const waiting = w.task('tsk_new', 20);
    w.slots.reconcile([...tasks, waiting]);
    expect(w.slots.isOpen('tsk_new')).toBe(false); // every slot just went idle
    await settle();
    expect(w.closed).toEqual([]);
    vi.advanceTimersByTime(EVICT_IDLE_AFTER_MS);
    w.slots.reconcile([...tasks, waiting]);
    await settle();
    expect(w.slots.isOpen('tsk_new')).toBe(true);
    // One slot was taken, and not the working one's.
    expect(w.closed).toHaveLength(3);
    expect(w.closed.some((name) => name.endsWith('/tsk_0'))).toBe(false);
  });
});
