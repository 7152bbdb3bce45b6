// Issue 11's "done when", tried as a new user would, through the real server and a real Viber: a
// small real Node project (a dependency installed by npm, `npm test` = `node --test`) in a bare repo
// served as file://, an environment that does not persist its volume. Setup installs the dependency
// once in the prepared checkout; a task runs the tests in its own fresh worktree and they pass; a
// message edits the repo, the changes list it and a push makes the branch. No registry is reached:
// npm installs from a cache filled here, offline (test/node-project.ts).
// Also: a message handed to an agentCommand gets OPENVIBER_TASK_ID, OPENVIBER_MESSAGE_INDEX and a
// transcript of the earlier messages, which never shows in the changes nor in a push.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test/fixture-files.ts';
import { makeRepo } from '../test/git-repo.ts';
import { NODE_DEP, nodeProject } from '../test/node-project.ts';
import { scenario } from '../test/scenario.ts';
import { call } from '../test/server-api.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';
import { workspaceRoot } from './config.ts';
import { worktreeDir } from './working-dir.ts';

describe('a real Node project, as a new user would use it', async () => {
  const server = await useServer();
  const project = nodeProject();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '60000', ...project.npmEnv });
  const repo = makeRepo({ ...project.files, 'agent.sh': fixture('agent.sh') });
  const root = workspaceRoot(s.viber.home);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.bare, encoding: 'utf8' }).trim();

  const changesOf = async (taskId: string, since = 0) =>
    waitFor(
      async () => {
        const res = await call(server.url, 'GET', `/api/tasks/${taskId}/changes`, s.user.token);
        return res.status === 200 && res.body.updatedAt > since ? res.body : null;
      },
      { what: `changes of ${taskId} after ${since}`, timeoutMs: 30_000 },
    );
  const pushed = async (taskId: string, branch: string, commitMessage?: string) => {
    const res = await call(server.url, 'POST', `/api/tasks/${taskId}/push`, s.user.token, {
      branch,
      commitMessage,
    });
    expect(res.status).toBe(202);
    return waitFor(
      async () => {
        const { push } = (await call(server.url, 'GET', `/api/tasks/${taskId}`, s.user.token)).body;
        return push?.state === 'pushed' || push?.state === 'failed' ? push : null;
      },
      { what: `push of ${taskId} to ${branch}`, timeoutMs: 30_000 },
    );
  };
  const newTask = async (envId: string, title: string) =>
    (
      await s.api('POST', '/api/tasks', {
        environmentId: envId,
        title,
        viberId: s.viber.config.viberId,
      })
    ).id as string;

  it('the project needs its install: a plain clone fails its tests with "Cannot find module"', () => {
    const clone = join(tempDir('viber-plain-clone-'), 'repo');
    execFileSync('git', ['clone', '--quiet', repo.url, clone]);
    const test = spawnSync('npm', ['test'], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, ...project.npmEnv },
    });
    expect(test.status).not.toBe(0);
    expect(test.stdout + test.stderr).toContain(`Cannot find module '${NODE_DEP}'`);
  });

  it('[A1] auto setup picks `npm ci` from the committed lockfile; `npm test` passes in the task’s own fresh worktree; an edit is listed and pushed to ov/<slug>', async () => {
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      persistVolume: false,
      setupMode: 'auto',
      setupScript: '',
    });
    const prepared = await s.prepared(bindingId);
    const log = (await s.prepareLog(bindingId)).join('\n');
    expect(prepared, log).toMatchObject({ state: 'ready' });
    expect(log).toContain('auto setup: npm ci (from the lockfiles)');
    expect(log).toMatch(/added 1 package/);
    const checkout = prepared.resolvedWorkingDir;
    expect(existsSync(join(checkout, 'node_modules', NODE_DEP, 'index.js'))).toBe(true);

    const taskId = await newTask(envId, 'Make the greeting louder');
    const test = await s.send(taskId, 'npm test');
    const run = await s.runState(taskId, test, ['completed', 'error']);
    expect(run, run.output).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(run.output).toMatch(/pass 1\n\S* ?fail 0/);
    expect(run.output).not.toContain('Cannot find module');

    // It ran in the task's own worktree, not in the prepared checkout; the dependency there is a copy.
    const tree = worktreeDir(root, taskId);
    expect(tree).not.toBe(checkout);
    const depInTree = join(tree, 'node_modules', NODE_DEP, 'index.js');
    expect(existsSync(depInTree)).toBe(true);
    expect(statSync(depInTree).ino).not.toBe(
      statSync(join(checkout, 'node_modules', NODE_DEP, 'index.js')).ino,
    );
    // Nothing copied in counts as a change.
    expect((await changesOf(taskId)).files).toEqual([]);

    // A message that edits the repo (and runs the tests again, where it runs).
    const edit = await s.send(
      taskId,
      `pwd; sed -i "s/+ '!'/+ '!!!'/" greeting.js; sed -i "s/'hello, Ada!'/'hello, Ada!!!'/" test/greeting.test.js; npm test`,
    );
    const run2 = await s.runState(taskId, edit, ['completed', 'error']);
    expect(run2, run2.output).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(run2.output.split('\n')[0]).toBe(tree);
    expect(run2.output).toMatch(/pass 1\n\S* ?fail 0/);
    // The prepared checkout is untouched.
    expect(readFileSync(join(checkout, 'greeting.js'), 'utf8')).toContain("+ '!';");

    const changes = await waitFor(
      async () => {
        const c = await changesOf(taskId);
        return c.files.length ? c : null;
      },
      { what: 'the edit in the changes' },
    );
    expect(changes.baseRevision).toBe(git('rev-parse', 'main'));
    expect(changes.files.map((f: any) => [f.path, f.status, f.additions, f.deletions]).sort()).toEqual([
      ['greeting.js', 'modified', 1, 1],
      ['test/greeting.test.js', 'modified', 1, 1],
    ]);
    expect(changes.patch).toContain("+module.exports = (name) => greet(name) + '!!!';");
    expect(changes.patch).not.toContain('node_modules');

    const push = await pushed(taskId, 'ov/make-the-greeting-louder');
    expect(push).toMatchObject({ branch: 'ov/make-the-greeting-louder', state: 'pushed', error: '' });
    expect(git('rev-parse', 'refs/heads/ov/make-the-greeting-louder')).toBe(push.commit);
    expect(git('show', 'ov/make-the-greeting-louder:greeting.js')).toContain("+ '!!!';");
    expect(git('rev-parse', 'ov/make-the-greeting-louder~1')).toBe(changes.baseRevision);
    const pushedFiles = git('ls-tree', '-r', '--name-only', 'ov/make-the-greeting-louder').split('\n');
    expect(pushedFiles.filter((f) => f.startsWith('node_modules/') || f.startsWith('.openviber/'))).toEqual(
      [],
    );
    // main is untouched.
    expect(git('show', 'main:greeting.js')).toContain("+ '!';");
  }, 120_000);

  it('[A1] manual setup `npm install`: `npm test` passes in a fresh worktree', async () => {
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      persistVolume: false,
      setupMode: 'manual',
      setupScript: 'npm install',
    });
    const prepared = await s.prepared(bindingId);
    const log = (await s.prepareLog(bindingId)).join('\n');
    expect(prepared, log).toMatchObject({ state: 'ready' });
    expect(log).not.toContain('auto setup');
    expect(log).toMatch(/added 1 package/);

    const taskId = await s.task(envId);
    const test = await s.send(taskId, 'npm test');
    const run = await s.runState(taskId, test, ['completed', 'error']);
    expect(run, run.output).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(run.output).toMatch(/pass 1\n\S* ?fail 0/);
    expect(existsSync(join(worktreeDir(root, taskId), 'node_modules', NODE_DEP))).toBe(true);
    expect(worktreeDir(root, taskId)).not.toBe(prepared.resolvedWorkingDir);
  }, 120_000);

  it('[A4] an agentCommand gets OPENVIBER_TASK_ID, OPENVIBER_MESSAGE_INDEX 0 then 1 and a transcript of the earlier message and its outcome; the transcript is never a change nor pushed', async () => {
    const { envId, bindingId } = await s.environment({
      repoUrl: repo.url,
      persistVolume: false,
      agentCommand: './agent.sh',
    });
    expect(await s.prepared(bindingId)).toMatchObject({ state: 'ready' });
    const taskId = await newTask(envId, 'Take notes');
    const tree = worktreeDir(root, taskId);
    const transcriptPath = join(tree, '.openviber', `transcript-${taskId}.json`);

    // The message is handed over as one argument, never read as shell.
    const firstText = 'write down: "quotes", $HOME and `backticks` stay text; exit 7';
    const first = await s.send(taskId, firstText);
    const run1 = await s.runState(taskId, first, ['completed', 'error']);
    expect(run1, run1.output).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(run1.output).toContain(`task=${taskId}\n`);
    expect(run1.output).toContain('index=0\n');
    expect(run1.output).toContain(`transcript=${transcriptPath}\n`);
    expect(run1.output).toContain('earlier=0\n');
    const changes1 = await changesOf(taskId);
    expect(changes1.files.map((f: any) => f.path)).toEqual(['agent-notes.txt']);

    const second = await s.send(taskId, 'and a second note');
    const run2 = await s.runState(taskId, second, ['completed', 'error']);
    expect(run2, run2.output).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(run2.output).toContain(`task=${taskId}\n`);
    expect(run2.output).toContain('index=1\n');
    expect(run2.output).toContain('earlier=1\n');
    expect(run2.output).toContain(`earlier[0]=completed exit 0: ${firstText}\n`);
    // The file itself: the earlier message, how it ended, and the end of its output.
    const transcript = JSON.parse(readFileSync(transcriptPath, 'utf8'));
    expect(transcript).toMatchObject({ taskId, messageIndex: 1 });
    expect(transcript.messages).toHaveLength(1);
    expect(transcript.messages[0]).toMatchObject({
      index: 0,
      messageId: first,
      text: firstText,
      state: 'completed',
      exitCode: 0,
      error: '',
    });
    expect(transcript.messages[0].output).toContain('index=0');

    const changes2 = await changesOf(taskId, changes1.updatedAt);
    expect(changes2.files).toEqual([
      expect.objectContaining({ path: 'agent-notes.txt', status: 'added', additions: 2 }),
    ]);
    expect(changes2.patch).toContain(`+${firstText}\n+and a second note`);
    expect(changes2.patch).not.toContain('.openviber');
    expect(changes2.patch).not.toContain('transcript');

    const push = await pushed(taskId, 'ov/take-notes');
    expect(push).toMatchObject({ state: 'pushed', error: '' });
    expect(git('ls-tree', '-r', '--name-only', 'ov/take-notes').split('\n').sort()).toEqual(
      [...Object.keys(project.files), 'agent.sh', 'agent-notes.txt'].sort(),
    );
    // The transcript is still there for the next message; only git does not see it.
    expect(existsSync(transcriptPath)).toBe(true);
  }, 120_000);
});
