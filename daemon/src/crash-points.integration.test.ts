// [V1] [R2] kill -9 of the daemon in the middle of git's own work — a clone, a worktree add — leaves
// nothing the next start takes for whole: a checkout or worktree with a fraction of its files
// (whose changes would read as the rest deleted, and a push would commit those deletions).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteBinding, workspaceDocName } from '@openviber/shared';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const FILES = 8_000;
/** Polls every 2 ms: git's work is caught while it is under way, not after. */
async function underWay(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('git never got under way');
    await new Promise((r) => setTimeout(r, 2));
  }
}
const countFiles = (dir: string) =>
  Number(execSync(`find ${dir} -path ${dir}/.git -prune -o -type f -print | wc -l`).toString().trim());

describe('[V1] kill -9 mid git work', async () => {
  const server = await useServer();
  const s = await scenario(server);
  const files: Record<string, string> = {
    'setup.sh': 'n=$(find . -path ./.git -prune -o -type f -print | wc -l); echo $n > .setup-saw\n',
  };
  for (let i = 0; i < FILES; i++) files[`d${i % 40}/f${i}`] = `${i}\n`;
  const repo = makeRepo(files);
  const all = FILES + 1;

  it('mid-clone: the next prepare clones whole and runs setup on all of it', async () => {
    const { bindingId } = await s.environment({ repoUrl: repo.url, setupScript: 'bash setup.sh' });
    const checkout = join(s.viber.home, 'workspaces', 'checkouts', bindingId);
    await underWay(
      () => existsSync(join(`${checkout}.cloning`, 'd1', 'f1')) || existsSync(join(checkout, 'd1')),
    );
    await s.viber.kill();
    s.viber.start();
    const observed = await s.prepared(bindingId);
    expect(observed.state).toBe('ready');
    expect(countFiles(checkout)).toBe(all + 1); // and setup's own file
    expect(
      execSync(`cat ${join(checkout, '.setup-saw')}`)
        .toString()
        .trim(),
    ).toBe(String(all));
  }, 120_000);

  it('[D5] a cancel while the task\u2019s worktree is still being made ends the run cancelled, its command never started', async () => {
    // What setup leaves and git ignores is copied into each task's worktree (seeding): made large.
    const project = makeRepo({ '.gitignore': 'node_modules/\n', 'a.txt': 'a\n' });
    const { envId, bindingId } = await s.environment({
      repoUrl: project.url,
      persistVolume: false,
      setupScript:
        'mkdir -p node_modules && for d in $(seq 1 40); do mkdir node_modules/p$d; for f in $(seq 1 300); do : > node_modules/p$d/f$f; done; done',
    });
    await s.prepared(bindingId);
    const taskId = await s.task(envId);
    const marker = join(s.viber.home, 'command-ran');
    const message = await s.send(taskId, `touch ${marker}`);
    await s.runState(taskId, message, ['started', 'progress', 'completed']);
    await s.api('POST', `/api/tasks/${taskId}/cancel`);
    const run = await s.runState(taskId, message, ['cancelled', 'completed', 'error', 'interrupted']);
    expect(run.state).toBe('cancelled');
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('mid-worktree-add: the next message runs in a whole worktree, and the task changed nothing', async () => {
    const { envId, bindingId } = await s.environment({ repoUrl: repo.url, persistVolume: false });
    await s.prepared(bindingId);
    const taskId = await s.task(envId);
    const tree = join(s.viber.home, 'workspaces', 'worktrees', taskId);
    const first = await s.send(taskId, 'echo first');
    await underWay(() => existsSync(join(tree, '.git')) && existsSync(join(tree, 'd1', 'f1')));
    await s.viber.kill();
    s.viber.start();
    await s.runState(taskId, first, ['completed', 'error', 'interrupted']);
    const count = await s.send(
      taskId,
      'find . -path ./.git -prune -o -path ./.openviber -prune -o -type f -print | wc -l',
    );
    const run = await s.runState(taskId, count, ['completed', 'error']);
    expect(run.output.trim()).toBe(String(all));
    const changes = await waitFor(async () => {
      const c = await s.api('GET', `/api/tasks/${taskId}/changes`);
      return c?.baseRevision ? c : null;
    });
    expect(changes.files).toEqual([]);
  }, 120_000);
});

describe('[A1] a fresh clone runs setup again', async () => {
  const server = await useServer();
  const s = await scenario(server);

  it('at the same revision (the repository URL spelled another way): its output is in the new checkout', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      setupScript: 'touch .deps-installed',
    });
    const first = await s.prepared(bindingId);
    expect(existsSync(join(first.resolvedWorkingDir, '.deps-installed'))).toBe(true);
    await s.api('PUT', `/api/environments/${envId}`, { repoUrl: `${repo.url}/` });
    await s.api('POST', `/api/bindings/${bindingId}/prepare`);
    const second = await s.prepared(bindingId, 2);
    expect(second.state).toBe('ready');
    expect((await s.prepareLog(bindingId)).join('\n')).toContain('cloning afresh');
    expect(existsSync(join(second.resolvedWorkingDir, '.deps-installed'))).toBe(true);
  });
});

describe('[V5] a binding deleted while a task of it runs', async () => {
  const server = await useServer();
  const s = await scenario(server);

  it('keeps its checkout until the running message ended, then removes it', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const { envId, bindingId } = await s.environment({ repoUrl: repo.url });
    const observed = await s.prepared(bindingId);
    const taskId = await s.task(envId);
    const running = await s.send(
      taskId,
      'echo start; sleep 3; echo "after: $(ls | wc -l) files"; echo x > new.txt && echo wrote',
    );
    await s.runState(taskId, running, ['progress']);
    deleteBinding(await s.peer.doc(workspaceDocName(s.user.userId)), bindingId);
    const run = await s.runState(taskId, running, ['completed', 'error', 'cancelled', 'interrupted']);
    expect(run.output).toContain('after: 2 files');
    expect(run.output).toContain('wrote');
    await waitFor(() => !existsSync(observed.resolvedWorkingDir), {
      what: 'the checkout removed after the run',
    });
  });
});
