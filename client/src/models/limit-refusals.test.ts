import { describe, expect, it } from 'vitest';
import { createLimitRefusals } from './limit-refusals.ts';

describe('[S11a] the refusals the app shows', () => {
  it('a document that syncs again clears only its own notice; one still refused stays shown', () => {
    const refusals = createLimitRefusals();
    refusals.refused('u/1/workspace', 'too much of this user’s data is open on this server');
    refusals.refused('u/1/task/t1', 'storage quota reached');
    expect(refusals.latest.value).toEqual({ docName: 'u/1/task/t1', reason: 'storage quota reached' });
    refusals.recovered('u/1/task/t1');
    // The workspace is still refused: its notice comes back rather than vanishing with the task's.
    expect(refusals.latest.value?.docName).toBe('u/1/workspace');
    expect(refusals.byDoc.value.has('u/1/workspace')).toBe(true);
    refusals.recovered('u/1/workspace');
    expect(refusals.latest.value).toBeNull();
  });

  it('a document refused again shows its newest reason, last; recovering one never refused changes nothing', () => {
    const refusals = createLimitRefusals();
    refusals.refused('a', 'first reason');
    refusals.refused('b', 'other');
    refusals.refused('a', 'second reason');
    expect(refusals.latest.value).toEqual({ docName: 'a', reason: 'second reason' });
    expect([...refusals.byDoc.value.keys()]).toEqual(['b', 'a']);
    const before = refusals.byDoc.value;
    refusals.recovered('never-refused');
    expect(refusals.byDoc.value).toBe(before);
  });
});
