// A task's changes against the revision it started from (committed, uncommitted and untracked,
// .gitignore respected): per file status and line counts, and a redacted, bounded unified patch.
// Everything runs as git tasks through the runner, reaching the task's own part of the workspace
// only; the scratch index lives in the task's scratch directory (working-dir.ts `scratchDir`).
import { mkdirSync } from 'node:fs';
import { copyConfined, removeConfined } from './confined-files.ts';
import { join, resolve } from 'node:path';
import {
  ChangeStatus,
  MAX_CHANGES_FILE_PATCH_CHARS,
  MAX_CHANGES_FILES,
  MAX_CHANGES_PATCH_CHARS,
  type ChangedFile,
  type Redactor,
  type TaskChanges,
} from '@openviber/shared';
import {
  blobSizesTask,
  diffNumstatTask,
  diffPatchTask,
  diffRawTask,
  gitPathsTask,
  nestedRepositoriesTask,
  stageAllTask,
  type RawEntry,
} from './git-change-tasks.ts';
import { assertSafeGitConfig, runGit } from './git-executor.ts';
import type { Runner } from './runner.ts';
import { scratchDir } from './working-dir.ts';

export interface ChangesInput {
  runner: Runner;
  /** A directory inside the task's working copy. */
  cwd: string;
  /** The workspace root (the scratch index is kept below it, where the sandbox lets git write). */
  root: string;
  /** What git may reach (working-dir.ts `taskReach`, with the scratch directory). */
  reach: string[];
  taskId: string;
  baseRevision: string;
  redactor: Redactor;
  now?: number;
}

const NULL_BLOB = /^0+$/;
/** Characters of paths handed to one `git diff` (far below ARG_MAX, whatever the paths). */
const MAX_PATHSPEC_CHARS = 256 * 1024;
const STATUS: Record<string, ChangeStatus> = {
  A: ChangeStatus.added,
  D: ChangeStatus.deleted,
  R: ChangeStatus.renamed,
  C: ChangeStatus.added,
};

/** Computes the task's changes; throws (a ViberError from git) when the checkout cannot be read. */
export async function computeChanges(input: ChangesInput): Promise<TaskChanges> {
  const { runner, cwd, redactor, baseRevision: base } = input;
  const git = { runner, cwd, redactor, reach: input.reach };
  const scratch = scratchDir(input.root, input.taskId);
  mkdirSync(scratch, { recursive: true });
  const index = join(scratch, 'index');
  const at = { runner, reach: input.reach, cwd };
  try {
    const where = await runGit(gitPathsTask(), git);
    // A task can write its repository's config: nothing there may make git run a command here.
    await assertSafeGitConfig(git, {
      roots: input.reach,
      paths: [resolve(cwd, where.config), resolve(cwd, where.worktreeConfig)],
    });
    // Starting from the task's own index keeps git's stat cache: only changed files are hashed again.
    const own = resolve(cwd, where.index);
    // Confined like the task: the index (or the scratch path) may be a link it planted.
    await copyConfined(at, own, index);
    await runGit(stageAllTask(index, await runGit(nestedRepositoriesTask(index), git)), git);
    const raw = await runGit(diffRawTask(index, base), git);
    const counts = await runGit(diffNumstatTask(index, base), git);
    const blobs = raw.flatMap((e) => [e.oldBlob, e.newBlob]).filter((b) => b && !NULL_BLOB.test(b));
    const sizes = blobs.length ? await runGit(blobSizesTask([...new Set(blobs)]), git) : new Map();
    const sizeOf = (e: RawEntry) => Math.max(sizes.get(e.oldBlob) ?? 0, sizes.get(e.newBlob) ?? 0);

    const listed = raw.slice(0, MAX_CHANGES_FILES);
    // Only files that can be published are diffed, so git's output stays near the budget: none whose
    // blobs alone exceed the per-file budget, none once their sizes add up past twice the total.
    const shown = new Set<RawEntry>();
    let estimate = 0;
    let pathspecChars = 0;
    for (const entry of listed) {
      const size = sizeOf(entry);
      const spec = entry.path.length + (entry.oldPath?.length ?? 0);
      if (size > MAX_CHANGES_FILE_PATCH_CHARS) continue;
      if (estimate + size > 2 * MAX_CHANGES_PATCH_CHARS || pathspecChars + spec > MAX_PATHSPEC_CHARS) break;
      estimate += size;
      pathspecChars += spec;
      shown.add(entry);
    }
    const paths = [...shown].flatMap((e) => (e.oldPath ? [e.path, e.oldPath] : [e.path]));
    const chunks = paths.length ? splitPatch(await runGit(diffPatchTask(index, base, paths), git)) : [];

    const files: ChangedFile[] = [];
    const parts: string[] = [];
    let used = 0;
    let truncated = raw.length > listed.length;
    let next = 0;
    for (const entry of listed) {
      const count = counts.get(entry.path);
      const diffed = shown.has(entry);
      const chunk = diffed ? (chunks[next++] ?? '') : '';
      let kept =
        chunk.length > MAX_CHANGES_FILE_PATCH_CHARS ? cut(chunk, MAX_CHANGES_FILE_PATCH_CHARS) : chunk;
      if (!diffed)
        kept = `diff --git a/${entry.path} b/${entry.path}\n# ${entry.path}: ${sizeOf(entry)} bytes, left out of the patch (too large)\n`;
      if (used + kept.length > MAX_CHANGES_PATCH_CHARS) kept = '';
      const fileTruncated = !diffed || kept.length < chunk.length;
      used += kept.length;
      parts.push(kept);
      truncated ||= fileTruncated;
      files.push({
        path: entry.path,
        ...(entry.oldPath ? { oldPath: entry.oldPath } : {}),
        status: STATUS[entry.status] ?? ChangeStatus.modified,
        additions: count?.additions ?? 0,
        deletions: count?.deletions ?? 0,
        binary: count === null,
        patchBytes: diffed ? chunk.length : sizeOf(entry),
        truncated: fileTruncated,
      });
    }
    return {
      baseRevision: base,
      files,
      patch: parts.join(''),
      truncated,
      updatedAt: input.now ?? Date.now(),
    };
  } finally {
    await removeConfined(at, index);
  }
}

/** The patch per file, in git's order (the order of `--raw`). */
export function splitPatch(patch: string): string[] {
  if (!patch) return [];
  return patch.split(/^(?=diff --git )/m).filter((c) => c.startsWith('diff --git '));
}

/** A file's part of the patch cut at a line end, with a marker saying so. */
function cut(chunk: string, max: number): string {
  const end = chunk.lastIndexOf('\n', max);
  return `${chunk.slice(0, end > 0 ? end + 1 : max)}\\ [truncated: ${chunk.length} characters in all]\n`;
}
