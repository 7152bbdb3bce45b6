import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  getBinding,
  getEnvironment,
  readObservation,
  readPrepareLog,
  bumpGeneration,
  patchEnvironment,
  type EnvironmentCreate,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair, sealSecret, type KeyPair } from '@openviber/shared/crypto';
import { prepareBinding } from './prepare.ts';
import { makeRepo } from '../test/git-repo.ts';
import { fixture } from '../test/fixture-files.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const VIBER = 'vbr_test' as ViberId;
const SECRET = 'sk-live-9f8e7d6c5b4a';

async function setup(input: Partial<EnvironmentCreate> & Record<string, unknown>, keys?: KeyPair) {
  keys ??= await generateKeyPair();
  const home = tempDir();
  const workspace = new Y.Doc();
  const envInput = environmentCreateSchema.parse({
    name: 'env',
    type: 'github',
    setupMode: 'manual',
    ...input,
  });
  const envId = createEnvironment(workspace, envInput);
  const bindingId = createBinding(workspace, envId, { viberId: VIBER, strategy: 'clone' });
  const viberDoc = new Y.Doc();
  const logDoc = new Y.Doc();
  const deps = {
    viberId: VIBER,
    keys,
    ownSecrets: [],
    root: join(home, 'workspaces'),
    stateDir: join(home, 'state'),
    runner: testRunner({ home, capabilities: { networkIsolation: false } }),
    viberDoc,
    logDoc,
  };
  const prepare = () =>
    prepareBinding(deps, getBinding(workspace, bindingId)!, getEnvironment(workspace, envId)!);
  const observation = () => readObservation(viberDoc, bindingId)!;
  const logText = () => readPrepareLog(logDoc).lines.join('\n');
  /** Prepares and expects `ready`; a failure shows the step's error and the log, not just 'error'. */
  const prepareReady = async () => {
    const state = await prepare();
    expect(state, `${readObservation(viberDoc, bindingId)?.lastError}\n${logText()}`).toBe('ready');
  };
  return {
    workspace,
    bindingId,
    envId,
    deps,
    prepare,
    prepareReady,
    observation,
    logText,
    bump: () => bumpGeneration(workspace, bindingId),
  };
}

describe('prepare [D1]-[D3]', () => {
  it('[X6] clones, runs setup with vars and a setup-scoped secret once, then maintenance when nothing changed', async () => {
    const keys = await generateKeyPair();
    const repo = makeRepo({
      'setup.sh': fixture('setup-marker.sh'),
      'maintenance.sh': fixture('maintenance.sh'),
    });
    const t = await setup(
      {
        repoUrl: repo.url,
        repoBranch: 'main',
        setupScript: './setup.sh',
        maintenanceScript: './maintenance.sh',
        vars: { GREETING: 'hello-var' },
        secrets: {
          API_TOKEN: { sealed: { [VIBER]: await sealSecret(SECRET, keys.publicKey) }, scope: 'setup' },
        },
      },
      keys,
    );
    await t.prepareReady();
    const cwd = t.observation().resolvedWorkingDir;
    expect(cwd.startsWith(t.deps.root)).toBe(true);
    expect(readFileSync(join(cwd, '.setup-marker'), 'utf8').trim()).toBe('hello-var');
    expect(readFileSync(join(cwd, '.secret-seen'), 'utf8')).toBe(SECRET);
    expect(t.logText()).toContain('setup ran with GREETING=hello-var');
    expect(t.logText()).toContain('the token is [REDACTED:API_TOKEN]');
    expect(t.logText()).not.toContain(SECRET);

    t.bump();
    await t.prepareReady();
    expect(readFileSync(join(cwd, '.setup-count'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(cwd, '.maintenance-count'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(t.logText()).toContain('maintenance ran');

    // A new revision runs setup again ([D1] once per script, revision, vars, secrets).
    repo.commit({ 'README.md': 'more' });
    t.bump();
    await t.prepareReady();
    expect(readFileSync(join(cwd, '.setup-count'), 'utf8').trim().split('\n')).toHaveLength(2);

    // So does a changed variable.
    patchEnvironment(t.workspace, t.envId, { vars: { GREETING: 'changed-var' } });
    t.bump();
    await t.prepareReady();
    expect(readFileSync(join(cwd, '.setup-count'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(join(cwd, '.setup-marker'), 'utf8').trim()).toBe('changed-var');
  });

  it('a failing setup gives error with the step and its last output lines', async () => {
    const repo = makeRepo({ 'fail.sh': fixture('fail.sh') });
    const t = await setup({ repoUrl: repo.url, setupScript: './fail.sh' });
    expect(await t.prepare()).toBe('error');
    const o = t.observation();
    expect(o.step).toBe('setup');
    expect(o.lastError).toContain('exited with code 3');
    expect(o.lastError).toContain('boom: dependency left-pad is missing');
    expect(t.logText()).toContain('installing dependencies');
  });

  it('the health check: a setup that moved HEAD is ready, one that broke the repository or pointed HEAD at a non-commit is not', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const moved = await setup({
      repoUrl: repo.url,
      setupScript: 'git -c user.name=t -c user.email=t@t commit -q --allow-empty -m setup',
    });
    await moved.prepareReady(); // HEAD moved by setup: git confirms it resolves
    const broken = await setup({ repoUrl: repo.url, setupScript: 'rm -rf .git/objects' });
    expect(await broken.prepare()).toBe('error');
    expect(broken.observation().step).toBe('health');
    // The branch at a blob that is there: read from the files, it is no commit, and git agrees.
    const blob = await setup({
      repoUrl: repo.url,
      setupScript: 'git hash-object -w a.txt > .git/refs/heads/main',
    });
    expect(await blob.prepare()).toBe('error');
    expect(blob.observation().step).toBe('health');
  });

  it('auto setup mode picks the install step from the lockfile', async () => {
    const repo = makeRepo({
      'package.json': '{"name":"x","version":"1.0.0"}',
      'package-lock.json':
        '{"name":"x","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"x","version":"1.0.0"}}}',
    });
    const t = await setup({ repoUrl: repo.url, setupMode: 'auto' });
    await t.prepareReady();
    expect(t.logText()).toContain('auto setup: npm ci (from the lockfiles)');
  });

  it('a working dir that escapes the workspace root through a symlink is refused', async () => {
    const outside = tempDir('viber-outside-');
    const repo = makeRepo({ 'README.md': 'x' });
    const work = join(repo.bare, '..', 'work');
    symlinkSync(outside, join(work, 'escape'));
    repo.commit({});
    const t = await setup({ repoUrl: repo.url, workingDir: 'escape', setupScript: 'touch pwned' });
    expect(await t.prepare()).toBe('error');
    expect(t.observation().lastError).toContain('outside');
    expect(existsSync(join(outside, 'pwned'))).toBe(false);
  });

  it('a secret not sealed for this Viber stops the prepare with a clear error', async () => {
    const other = await generateKeyPair();
    const t = await setup({
      type: 'manual',
      secrets: {
        API_TOKEN: { sealed: { vbr_other: await sealSecret(SECRET, other.publicKey) }, scope: 'runtime' },
      },
    });
    expect(await t.prepare()).toBe('error');
    expect(t.observation().lastError).toContain('API_TOKEN is not sealed for this Viber');
  });
});
