import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAX_CHANGES_PATCH_CHARS, MAX_COMMIT_MESSAGE_LENGTH } from '@openviber/shared';
import { fixture } from '../test/fixture-files.ts';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { call } from '../test/server-api.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'tok-CHANGES-abcdef123456';

describe('task workspaces and artifacts through the real server and a real Viber', async () => {
  const server = await useServer();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '30000' });
  const repo = makeRepo({
    '.gitignore': 'node_modules/\n',
    'keep.txt': 'first line\nsecond line\nthird line\n',
    'gone.txt': 'one\ntwo\n',
    'edit-repo.sh': fixture('edit-repo.sh'),
  });
  const { envId, bindingId } = await s.environment(
    {
      repoUrl: repo.url,
      persistVolume: false,
      // What setup produces is ignored by git: a fresh worktree would not have it.
      setupScript: 'mkdir -p node_modules/dep && echo "module.exports = 42;" > node_modules/dep/index.js',
    },
    { API_TOKEN: { value: SECRET } },
  );
  await s.prepared(bindingId);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.bare, encoding: 'utf8' }).trim();

  const changesOf = async (taskId: string, since = 0) =>
    waitFor(
      async () => {
        const res = await call(server.url, 'GET', `/api/tasks/${taskId}/changes`, s.user.token);
        return res.status === 200 && res.body.updatedAt > since ? res.body : null;
      },
      { what: `changes of ${taskId} after ${since}`, timeoutMs: 30_000 },
    );

  it('[A1] a task in its own fresh worktree starts from the prepared state (ignored node_modules included)', async () => {
    const taskId = await s.task(envId);
    const msg = await s.send(
      taskId,
      `node -e "console.log('dep=' + require('dep'))"; git status --porcelain`,
    );
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.output).toContain('dep=42');
    expect(run).toMatchObject({ state: 'completed' });
    // Nothing copied in shows as a change.
    expect((await changesOf(taskId)).files).toEqual([]);
  });

  it('[A2][A3][A4] changes after each run: status, counts, redacted patch; a second message updates them (the agent variables and transcript are there); push makes a branch', async () => {
    const taskId = await s.task(envId);
    expect((await call(server.url, 'GET', `/api/tasks/${taskId}/changes`, s.user.token)).status).toBe(404);
    const first = await s.send(taskId, './edit-repo.sh');
    expect(await s.runState(taskId, first, ['completed', 'error'])).toMatchObject({ state: 'completed' });
    const changes = await changesOf(taskId);
    expect(changes.baseRevision).toBe(git('rev-parse', 'main'));
    const byPath = Object.fromEntries(changes.files.map((f: any) => [f.path, f]));
    expect(byPath['keep.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 1 });
    expect(byPath['added.txt']).toMatchObject({ status: 'added', additions: 1, deletions: 0 });
    expect(byPath['gone.txt']).toMatchObject({ status: 'deleted', additions: 0, deletions: 2 });
    expect(byPath['secret.txt']).toMatchObject({ status: 'added', additions: 1 });
    expect(Object.keys(byPath).sort()).toEqual(['added.txt', 'gone.txt', 'keep.txt', 'secret.txt']);
    expect(changes.patch).toContain('-second line\n+changed line');
    expect(changes.patch).toContain('+brand new');
    expect(changes.patch).toMatch(/\+token=\[REDACTED/);
    expect(changes.patch).not.toContain(SECRET);
    expect(changes.truncated).toBe(false);

    const second = await s.send(
      taskId,
      'echo "more" >> added.txt; echo "$OPENVIBER_MESSAGE_INDEX"; echo "$OPENVIBER_TRANSCRIPT"; cat "$OPENVIBER_TRANSCRIPT"',
    );
    const run2 = await s.runState(taskId, second, ['completed', 'error']);
    expect(run2.output).toContain('1\n');
    expect(run2.output).toContain('./edit-repo.sh'); // the transcript holds the earlier message
    const updated = await changesOf(taskId, changes.updatedAt);
    expect(updated.files.find((f: any) => f.path === 'added.txt')).toMatchObject({ additions: 2 });
    expect(updated.files.filter((f: any) => f.path.startsWith('.openviber'))).toEqual([]);
    expect(run2.output).toContain(`.openviber/transcript-${taskId}.json`);

    const bad = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, s.user.token, { branch: '-f' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('branch');
    for (const branch of ['a..b', 'x.lock', 'a/.b', 'HEAD', 'a@{1}', '', 'end.'])
      expect(
        (await call(server.url, 'POST', `/api/tasks/${taskId}/push`, s.user.token, { branch })).status,
      ).toBe(400);

    expect((await call(server.url, 'GET', `/api/tasks/${taskId}`, s.user.token)).body.push).toBeNull();
    const long = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, s.user.token, {
      branch: 'ov/test',
      commitMessage: 'x'.repeat(MAX_COMMIT_MESSAGE_LENGTH + 1),
    });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toContain('commitMessage');
    expect(
      (await call(server.url, 'POST', '/api/tasks/tsk_nope/push', s.user.token, { branch: 'ov/x' })).status,
    ).toBe(404);
    expect((await call(server.url, 'GET', '/api/tasks/tsk_nope/changes', s.user.token)).status).toBe(404);
    expect((await call(server.url, 'GET', `/api/tasks/${taskId}/changes`)).status).toBe(401);
    const accepted = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, s.user.token, {
      branch: 'ov/test',
      commitMessage: 'Edits from a task',
    });
    expect(accepted.status).toBe(202);
    const pushed = await waitFor(
      async () => {
        const { push } = (await call(server.url, 'GET', `/api/tasks/${taskId}`, s.user.token)).body;
        return push?.state === 'pushed' || push?.state === 'failed' ? push : null;
      },
      { what: 'push result', timeoutMs: 30_000 },
    );
    expect(pushed).toMatchObject({ branch: 'ov/test', state: 'pushed', error: '' });
    expect(git('rev-parse', 'refs/heads/ov/test')).toBe(pushed.commit);
    expect(git('log', '-1', '--format=%s', 'ov/test')).toBe('Edits from a task');
    expect(git('show', 'ov/test:added.txt')).toBe('brand new\nmore');
    const files = git('ls-tree', '--name-only', 'ov/test').split('\n');
    expect(files).toContain('secret.txt');
    expect(files).not.toContain('gone.txt');
    expect(files.some((f) => f === '.openviber' || f === 'node_modules')).toBe(false);
  });

  it('[A2] a 5 MB generated file is listed and truncated, not stored whole', async () => {
    const taskId = await s.task(envId);
    const msg = await s.send(
      taskId,
      "head -c 5000000 /dev/zero | tr '\\0' 'a' | fold -w 100 > big.txt; echo small > small.txt",
    );
    expect(await s.runState(taskId, msg, ['completed', 'error'])).toMatchObject({ state: 'completed' });
    const changes = await changesOf(taskId);
    const big = changes.files.find((f: any) => f.path === 'big.txt');
    expect(big).toMatchObject({ status: 'added', additions: 50_000, truncated: true });
    expect(big.patchBytes).toBeGreaterThan(5_000_000);
    expect(changes.truncated).toBe(true);
    expect(changes.patch.length).toBeLessThan(MAX_CHANGES_PATCH_CHARS);
    expect(changes.patch).toContain('+small');
  });
});
