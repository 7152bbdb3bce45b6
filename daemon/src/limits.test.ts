import { describe, expect, it } from 'vitest';
import { MAX_ATTACHED_DOCUMENTS } from './connection.ts';
import { DOCUMENTS_PER_OPEN_TASK, MAX_CONCURRENT_PREPARES, MAX_OPEN_TASKS } from './limits.ts';

describe('[V3] what a Viber holds open fits its connection at once', () => {
  it('the workspace, its own document, every open task and every prepare log attach without waiting', () => {
    // A document waiting for a slot that only a task can free, while every task waits for the
    // prepare that document belongs to, is a Viber that never makes progress again.
    const most = 2 + DOCUMENTS_PER_OPEN_TASK * MAX_OPEN_TASKS + MAX_CONCURRENT_PREPARES;
    expect(most).toBeLessThanOrEqual(MAX_ATTACHED_DOCUMENTS);
  });
});
