// Where a binding's files live, and the rule that they stay inside the workspace root (design §8).
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  BindingStrategy,
  checkAbsolutePath,
  checkRelativePath,
  type Binding,
  type Environment,
} from '@openviber/shared';
import { ViberError } from './viber-error.ts';

/** The checkout of a clone binding. */
export const cloneDir = (root: string, bindingId: string) => join(root, 'checkouts', bindingId);
/** A task's own worktree (environments that do not persist their volume). */
export const worktreeDir = (root: string, taskId: string) => join(root, 'worktrees', taskId);
/** Where the daemon keeps a task's scratch index while it computes the task's changes. */
export const scratchDir = (root: string, taskId: string) => join(root, '.changes', taskId);

/**
 * What of the workspace root a task's runs reach (runner.ts `reach`): its environment's checkout and
 * its own worktree — nothing of another environment or task; the daemon's own work for the task
 * (`withScratch`) its scratch directory too.
 */
export function taskReach(
  root: string,
  binding: Binding,
  env: Environment,
  taskId: string,
  withScratch = false,
): string[] {
  const reach = [checkoutDir(root, binding, env), worktreeDir(root, taskId)];
  return withScratch ? [...reach, scratchDir(root, taskId)] : reach;
}

/** True when `path` (after resolving symlinks as far as it exists) is `root` or inside it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(realish(root), realish(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The real path of the longest existing prefix, with the rest appended: symlinks cannot smuggle a path out. */
function realish(path: string): string {
  let head = resolve(path);
  const rest: string[] = [];
  while (!existsSync(head)) {
    const parent = resolve(head, '..');
    if (parent === head) break;
    rest.unshift(head.slice(parent.length).replace(/^\//, ''));
    head = parent;
  }
  return join(realpathSync(head), ...rest);
}

/** The checkout directory of a binding: a clone under the root, or the existing path. */
export function checkoutDir(root: string, binding: Binding, env: Environment): string {
  if (binding.strategy === BindingStrategy.existing) {
    const path = binding.existingPath || env.localPath;
    const check = checkAbsolutePath(path);
    if (!check.ok) throw new ViberError('path_refused', `existingPath ${check.message}`);
    // Another environment's checkout (or a task's worktree) is no folder of the user's to bind.
    if (isInside(root, path))
      throw new ViberError('path_refused', `existingPath ${path} is inside this Viber's workspace`);
    return path;
  }
  return cloneDir(root, binding.id);
}

/** The working directory inside a checkout; refused when it resolves outside the root (clone strategy). */
export function resolveWorkingDir(
  root: string,
  checkout: string,
  workingDir: string,
  strategy: BindingStrategy,
): string {
  const check = checkRelativePath(workingDir);
  if (!check.ok) throw new ViberError('path_refused', `workingDir ${check.message}`);
  const dir = resolve(checkout, workingDir);
  if (strategy === BindingStrategy.clone && !isInside(root, dir)) {
    throw new ViberError(
      'path_refused',
      `workingDir '${workingDir}' resolves outside the Viber's workspace root`,
    );
  }
  if (!isInside(checkout, dir) && strategy === BindingStrategy.clone) {
    throw new ViberError('path_refused', `workingDir '${workingDir}' resolves outside the checkout`);
  }
  return dir;
}
