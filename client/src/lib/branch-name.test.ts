import { describe, expect, it } from 'vitest';
import { checkPushBranch } from '@openviber/shared';
import { MAX_BRANCH_SLUG, branchForTask } from './branch-name.ts';

describe('branchForTask', () => {
  it('slugs the title under ov/', () => {
    expect(branchForTask('Fix the login: 2 bugs!', 'task_abc')).toBe('ov/fix-the-login-2-bugs');
    expect(branchForTask('Crème brûlée', 'task_abc')).toBe('ov/creme-brulee');
  });

  it('falls back to the task id for a title without letters or the default title', () => {
    expect(branchForTask('!!! ---', 'task_01HXYZABCDEF')).toBe('ov/task-yzabcdef');
    expect(branchForTask('New task', 'task_01HXYZABCDEF')).toBe('ov/task-yzabcdef');
  });

  it('is always a branch git accepts, whatever the title', () => {
    const hostile = [
      '-rf /',
      'a..b',
      '..lock',
      'x.lock',
      'HEAD',
      '@{u}',
      '日本語のタイトル',
      'a'.repeat(500),
      'tab\there\nnewline',
      '~^:?*[\\',
      '',
    ];
    for (const title of hostile) {
      const name = branchForTask(title, 'task_01HXYZABCDEF');
      expect(checkPushBranch(name), `${JSON.stringify(title)} → ${name}`).toEqual({ ok: true });
      expect(name.length).toBeLessThanOrEqual(3 + MAX_BRANCH_SLUG);
    }
  });
});
