// The branch a task's push is prefilled with: `ov/<slug of the title>`, always a name git accepts.
import { checkPushBranch } from '@openviber/shared';

/** Longest slug kept from a title: branch names show up in every list of a repository's branches. */
export const MAX_BRANCH_SLUG = 48;

/** `ov/<slug>`: lower-case ASCII letters, digits and single dashes; `ov/task-<id end>` when the title has none. */
export function branchForTask(title: string, taskId: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_BRANCH_SLUG)
    .replace(/^-+|-+$/g, '');
  const name = `ov/${slug && slug !== 'new-task' ? slug : `task-${taskId.slice(-8).toLowerCase()}`}`;
  return checkPushBranch(name).ok ? name : `ov/task-${taskId.replace(/[^a-zA-Z0-9]/g, '').slice(-8)}`;
}
