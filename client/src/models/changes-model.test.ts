import { describe, expect, it } from 'vitest';
import type { TaskChanges } from '@openviber/shared';
import { changeTotals } from './changes-model.ts';

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
