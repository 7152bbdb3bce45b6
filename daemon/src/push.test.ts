// [A3] a push on real git: a bare remote as origin, the task's worktree, and hostile requests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createBinding,
  createEnvironment,
  createTask,
  environmentCreateSchema,
  pushRequestsArray,
  readPushResult,
  requestPush,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair } from '@openviber/shared/crypto';
import { handlePushRequest } from './push.ts';
import { worktreeDir } from './working-dir.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

async function world() {
  const home = tempDir('viber-home-');
  const runner = testRunner({ home });
  const bare = join(tempDir('remote-'), 'origin.git');
  git('/', 'init', '-q', '--bare', '-b', 'main', bare);
  const checkout = join(runner.root, 'checkouts', 'b1');
  mkdirSync(checkout, { recursive: true });
  git(checkout, 'init', '-q', '-b', 'main');
  writeFileSync(join(checkout, 'a.txt'), 'a\n');
  git(checkout, 'add', '-A');
  git(checkout, 'commit', '-qm', 'base');
  git(checkout, 'remote', 'add', 'origin', bare);
  git(checkout, 'push', '-q', 'origin', 'main');
  const ws = new Y.Doc();
  const envId = createEnvironment(
    ws,
    environmentCreateSchema.parse({ name: 'e', type: 'manual', persistVolume: false }),
  );
  createBinding(ws, envId, { viberId: 'vbr_t', strategy: 'clone' });
  const taskId = createTask(ws, { environmentId: envId, title: 'Fix the thing', viberId: 'vbr_t' });
  const tree = worktreeDir(runner.root, taskId);
  git(checkout, 'worktree', 'add', '-q', '--detach', tree, 'HEAD');
  const deps = {
    viberId: 'vbr_t' as ViberId,
    keys: await generateKeyPair(),
    ownSecrets: [],
    root: runner.root,
    stateDir: join(home, 'state'),
    runner,
    viberDoc: new Y.Doc(),
    workspace: ws,
    taskDoc: new Y.Doc(),
    changesDoc: new Y.Doc(),
  };
  return { deps, taskId, tree, bare };
}

describe('[A3] push', () => {
  it('commits what is uncommitted (message from stdin, even one starting with -) and pushes to the branch', async () => {
    const { deps, taskId, tree, bare } = await world();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    const request = requestPush(deps.taskDoc, { branch: 'ov/test', commitMessage: '--amend -m evil' });
    await handlePushRequest(deps, taskId);
    const result = readPushResult(deps.changesDoc)!;
    expect(result).toMatchObject({ requestId: request.id, branch: 'ov/test', state: 'pushed', error: '' });
    expect(git(bare, 'rev-parse', 'ov/test')).toBe(result.commit);
    expect(git(bare, 'log', '-1', '--format=%s', 'ov/test')).toBe('--amend -m evil');
    expect(git(bare, 'show', 'ov/test:b.txt')).toBe('b');
    // Answered once: handling again changes nothing.
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toEqual(result);
  });

  it('a branch name a peer wrote past the API is refused before git runs; the failure is published', async () => {
    const { deps, taskId, bare } = await world();
    const map = new Y.Map<unknown>();
    pushRequestsArray(deps.taskDoc).push([map]);
    map.set('id', 'push_1');
    map.set('branch', '--mirror');
    map.set('requestedAt', 1);
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/branch .*'-'/),
    });
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
  });

  it('a remote that refuses: failed, with git’s words', async () => {
    const { deps, taskId, tree } = await world();
    git(tree, 'remote', 'set-url', 'origin', '/nonexistent/repo.git');
    requestPush(deps.taskDoc, { branch: 'ov/x' });
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('git push'),
    });
  });

  it('a Viber pinned to its user’s key does not push on an unsigned request', async () => {
    const { deps, taskId, tree, bare } = await world();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    requestPush(deps.taskDoc, { branch: 'ov/test' });
    await handlePushRequest({ ...deps, intents: {} as never }, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('signed'),
    });
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(git(tree, 'status', '--porcelain')).toContain('b.txt'); // nothing committed either
  });
});
