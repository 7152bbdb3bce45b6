import { describe, expect, it } from 'vitest';
import type { PushRequest, PushResult, TaskChanges } from '@openviber/shared';
import { changeTotals, pushView } from './changes-model.ts';

const request = (id: string): PushRequest => ({ id, branch: 'ov/x', commitMessage: '', requestedAt: 1 });
const result = (requestId: string, state: PushResult['state']): PushResult => ({
  requestId,
  branch: 'ov/x',
  state,
  commit: state === 'pushed' ? 'abc123' : '',
  error: '',
  updatedAt: 2,
});

describe('pushView', () => {
  it('is none before any request', () => {
    expect(pushView(null, null)).toEqual({ state: 'none' });
  });

  it('waits for the Viber while the newest request has no answer of its own', () => {
    expect(pushView(request('push_2'), null).state).toBe('requested');
    // The answer to an earlier push is not this push's answer.
    expect(pushView(request('push_2'), result('push_1', 'pushed')).state).toBe('requested');
  });

  it("shows the Viber's answer to the newest request", () => {
    const view = pushView(request('push_1'), result('push_1', 'pushed'));
    expect(view.state).toBe('pushed');
    expect(view.state === 'pushed' && view.result.commit).toBe('abc123');
    expect(pushView(request('push_1'), result('push_1', 'failed')).state).toBe('failed');
  });
});

describe('changeTotals', () => {
  it('sums the files', () => {
    const changes: TaskChanges = {
      baseRevision: 'r',
      patch: '',
      truncated: false,
      updatedAt: 1,
      files: [
        {
          path: 'a',
          status: 'modified',
          additions: 2,
          deletions: 1,
          binary: false,
          patchBytes: 10,
          truncated: false,
        },
        {
          path: 'b',
          status: 'added',
          additions: 5,
          deletions: 0,
          binary: false,
          patchBytes: 10,
          truncated: false,
        },
        {
          path: 'c',
          status: 'deleted',
          additions: 0,
          deletions: 3,
          binary: false,
          patchBytes: 10,
          truncated: false,
        },
      ],
    };
    expect(changeTotals(changes)).toEqual({ files: 3, additions: 7, deletions: 4 });
  });
});
