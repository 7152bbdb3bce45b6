// A branch name a push may target: `git check-ref-format --branch` rules, checked before git ever
// sees the name (design §8), so the API can answer 400 naming the field.
import { checkBranch } from './validate-repo-url.ts';

export type BranchCheck = { ok: true } | { ok: false; message: string };

/** `branch` is a non-empty name `git check-ref-format --branch` accepts (and no leading `-`). */
export function checkPushBranch(branch: unknown): BranchCheck {
  if (typeof branch !== 'string' || branch === '') return { ok: false, message: 'is required' };
  const narrow = checkBranch(branch);
  if (!narrow.ok) return narrow;
  if (branch === 'HEAD' || branch === '@') return { ok: false, message: `'${branch}' is not a branch name` };
  if (branch.endsWith('.')) return { ok: false, message: "must not end with '.'" };
  if (branch.includes('@{')) return { ok: false, message: "must not contain '@{'" };
  for (const part of branch.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock'))
      return { ok: false, message: "has a part that starts with '.' or ends with '.lock'" };
  }
  return { ok: true };
}
