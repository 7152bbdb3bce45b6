// [A3] a push on real git: a bare remote as origin, the task's worktree, and hostile requests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  bindingIntent,
  createTask,
  environmentSpecIntent,
  findPushRequest,
  getBinding,
  getEnvironment,
  getTask,
  listRefusals,
  PushState,
  pushIntent,
  pushRequestsArray,
  readPushResult,
  requestPush,
  signBinding,
  signEnvironmentSpec,
  signPushRequest,
  writePushResult,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair, generateSigningKeyPair, signIntent } from '@openviber/shared/crypto';
import { IntentGuard } from './intent-guard.ts';
import { handlePushRequest } from './push.ts';
import { RunJournal } from './run-journal.ts';
import { worktreeDir } from './working-dir.ts';
import { boundCheckout } from '../test/bound-checkout.ts';
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
  // Where the daemon keeps the binding's checkout: git reaches it and the task's worktree only.
  const { ws, envId, bindingId, checkout } = boundCheckout(runner.root);
  git(checkout, 'init', '-q', '-b', 'main');
  writeFileSync(join(checkout, 'a.txt'), 'a\n');
  git(checkout, 'add', '-A');
  git(checkout, 'commit', '-qm', 'base');
  git(checkout, 'remote', 'add', 'origin', bare);
  git(checkout, 'push', '-q', 'origin', 'main');
  const taskId = createTask(ws, { environmentId: envId, title: 'Fix the thing', viberId: 'vbr_t' });
  const tree = worktreeDir(runner.root, taskId);
  git(checkout, 'worktree', 'add', '-q', '--detach', tree, 'HEAD');
  const stateDir = join(home, 'state');
  mkdirSync(stateDir, { recursive: true });
  const deps = {
    viberId: 'vbr_t' as ViberId,
    keys: await generateKeyPair(),
    ownSecrets: [],
    root: runner.root,
    stateDir,
    runner,
    viberDoc: new Y.Doc(),
    workspace: ws,
    taskDoc: new Y.Doc(),
    changesDoc: new Y.Doc(),
    journal: new RunJournal(stateDir),
  };
  return { deps, taskId, tree, bare, envId, bindingId };
}

/** The same task on a Viber pinned to the user's key, with the environment and binding signed. */
async function pinnedWorld() {
  const w = await world();
  const user = await generateSigningKeyPair();
  const sign = (intent: Parameters<typeof signIntent>[0]) => signIntent(intent, user.privateKey);
  const ws = w.deps.workspace;
  signEnvironmentSpec(ws, w.envId, 1, await sign(environmentSpecIntent(getEnvironment(ws, w.envId)!, 1)));
  const binding = getBinding(ws, w.bindingId)!;
  signBinding(ws, binding.id, 1, await sign(bindingIntent(binding, w.deps.keys.publicKey)));
  const intents = await IntentGuard.create(user.publicKey, {
    viberId: 'vbr_t',
    viberPublicKey: w.deps.keys.publicKey,
    viberPrivateKey: w.deps.keys.privateKey,
    workspace: ws,
    viberDoc: w.deps.viberDoc,
    stateDir: w.deps.stateDir,
  });
  // Through file://, as a remote on another disk would be reached.
  git(w.tree, 'remote', 'set-url', 'origin', `file://${w.bare}`);
  /** What the app writes when the user pushes: the request signed over the push intent. */
  const signedPush = async (branch: string, commitMessage = '') => {
    const task = getTask(ws, w.taskId)!;
    const requestId = `push_${branch.replace(/\W/g, '')}`;
    const signature = await sign(
      pushIntent({
        taskId: w.taskId,
        environmentId: task.environmentId,
        viberId: task.viberId,
        requestId,
        branch,
        commitMessage,
      }),
    );
    return requestPush(w.deps.taskDoc, { branch, commitMessage }, Date.now(), { requestId, signature });
  };
  /** The app's Approve: signs the request as stored. */
  const approve = async (requestId: string) => {
    const task = getTask(ws, w.taskId)!;
    const request = findPushRequest(w.deps.taskDoc, requestId)!;
    const intent = pushIntent({
      taskId: w.taskId,
      environmentId: task.environmentId,
      viberId: task.viberId,
      requestId,
      branch: request.branch,
      commitMessage: request.commitMessage,
    });
    signPushRequest(w.deps.taskDoc, requestId, await sign(intent));
  };
  return { ...w, deps: { ...w.deps, intents }, signedPush, approve };
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

  it("[R3] repository config a task wrote cannot make the daemon's git run a command: refused by name; hooks never run", async () => {
    const { deps, taskId, tree, bare } = await world();
    const marker = join(tempDir(), 'ran');
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    // A hook git would run after the commit (not skipped by --no-verify), then a config command.
    const hooks = execFileSync('git', ['rev-parse', '--git-path', 'hooks'], {
      cwd: tree,
      encoding: 'utf8',
    }).trim();
    mkdirSync(join(tree, hooks), { recursive: true });
    writeFileSync(join(tree, hooks, 'post-commit'), `#!/bin/sh\ntouch ${marker}-hook\n`, { mode: 0o755 });
    git(tree, 'config', 'core.fsmonitor', `touch ${marker}-fsmonitor`);
    requestPush(deps.taskDoc, { branch: 'ov/config' });
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('core.fsmonitor'),
    });
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    git(tree, 'config', '--unset', 'core.fsmonitor');
    git(tree, 'config', 'filter.evil.clean', `touch ${marker}-filter`);
    requestPush(deps.taskDoc, { branch: 'ov/config2' });
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('filter.evil.clean'),
    });
    // Without them, the push goes through and the hook never ran.
    git(tree, 'config', '--unset', 'filter.evil.clean');
    requestPush(deps.taskDoc, { branch: 'ov/config3' });
    await handlePushRequest(deps, taskId);
    expect(readPushResult(deps.changesDoc)).toMatchObject({ state: 'pushed' });
    for (const what of ['hook', 'fsmonitor', 'filter']) expect(existsSync(`${marker}-${what}`)).toBe(false);
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
});

describe('[A3] [T5] push on a Viber pinned to its user’s key', () => {
  it('a signed request commits and pushes: the commit lands in the bare repository', async () => {
    const { deps, taskId, tree, bare, signedPush } = await pinnedWorld();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    const request = await signedPush('ov/signed', 'Signed change');
    expect(await handlePushRequest(deps, taskId)).toBe(true);
    const result = readPushResult(deps.changesDoc)!;
    expect(result).toMatchObject({ requestId: request.id, state: 'pushed', error: '' });
    expect(git(bare, 'rev-parse', 'ov/signed')).toBe(result.commit);
    expect(git(bare, 'log', '-1', '--format=%s', 'ov/signed')).toBe('Signed change');
    expect(git(bare, 'show', 'ov/signed:b.txt')).toBe('b');
    expect(listRefusals(deps.viberDoc)).toEqual([]);
  });

  it('[T5] a signed push replayed by the server (its result rewritten, or the request appended again) does not run twice', async () => {
    const { deps, taskId, tree, bare, signedPush } = await pinnedWorld();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    const request = await signedPush('main', 'First');
    await handlePushRequest(deps, taskId);
    const first = readPushResult(deps.changesDoc)!;
    expect(first).toMatchObject({ requestId: request.id, state: 'pushed' });
    // Later work in the task, then the server makes the old request look unanswered.
    writeFileSync(join(tree, 'c.txt'), 'not meant for main\n');
    writePushResult(deps.changesDoc, { ...first, state: PushState.pushing });
    await handlePushRequest(deps, taskId);
    expect(git(bare, 'rev-parse', 'main')).toBe(first.commit);
    expect(readPushResult(deps.changesDoc)).toMatchObject({
      requestId: request.id,
      state: 'failed',
      error: expect.stringContaining('already run by this Viber'),
    });
    // The same after a restart of the Viber (a new journal from the same file).
    const restarted = { ...deps, journal: new RunJournal(deps.stateDir) };
    writePushResult(deps.changesDoc, { ...first, state: PushState.pushing });
    await handlePushRequest(restarted, taskId);
    expect(git(bare, 'rev-parse', 'main')).toBe(first.commit);
    expect(git(bare, 'ls-tree', '--name-only', 'main')).not.toContain('c.txt');
  });

  it('an unsigned request waits for approval: nothing committed or pushed, the refusal published; once signed it pushes', async () => {
    const { deps, taskId, tree, bare, approve } = await pinnedWorld();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    const request = requestPush(deps.taskDoc, { branch: 'ov/api' });
    expect(await handlePushRequest(deps, taskId)).toBe(false);
    expect(readPushResult(deps.changesDoc)).toBeNull();
    expect(listRefusals(deps.viberDoc)).toEqual([
      expect.objectContaining({ kind: 'push', id: `${taskId}/${request.id}`, reason: 'unsigned' }),
    ]);
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(git(tree, 'status', '--porcelain')).toContain('b.txt');

    await approve(request.id);
    expect(await handlePushRequest(deps, taskId)).toBe(true);
    expect(readPushResult(deps.changesDoc)).toMatchObject({ requestId: request.id, state: 'pushed' });
    expect(git(bare, 'show', 'ov/api:b.txt')).toBe('b');
    expect(listRefusals(deps.viberDoc)).toEqual([]);
  });

  it('a request changed after it was signed (another branch) is refused as a bad signature and not pushed', async () => {
    const { deps, taskId, tree, bare, signedPush } = await pinnedWorld();
    writeFileSync(join(tree, 'b.txt'), 'b\n');
    const request = await signedPush('ov/reviewed');
    const stored = pushRequestsArray(deps.taskDoc).get(0) as Y.Map<unknown>;
    stored.set('branch', 'main');
    expect(await handlePushRequest(deps, taskId)).toBe(false);
    expect(listRefusals(deps.viberDoc)).toEqual([
      expect.objectContaining({ kind: 'push', id: `${taskId}/${request.id}`, reason: 'bad signature' }),
    ]);
    expect(readPushResult(deps.changesDoc)).toBeNull();
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(git(bare, 'rev-list', '--count', 'main')).toBe('1');
    expect(git(tree, 'status', '--porcelain')).toContain('b.txt');
  });
});
