import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { gitEnv, runGit } from './git-executor.ts';
import { cloneTask } from './git-tasks.ts';
import { syncSource } from './source-sync.ts';
import { makeRepo } from '../test/git-repo.ts';
import { fixturePath } from '../test/fixture-files.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const HOSTILE = [
  '--upload-pack=touch /tmp/pwned',
  '-u touch /tmp/pwned',
  'ext::sh -c touch% /tmp/pwned',
  'EXT::sh -c touch /tmp/pwned',
  'fd::17',
  'https://user:pass@example.com/r.git',
  'http://example.com/r.git',
  'git://example.com/r.git',
  'file://remote-host/etc',
  '/tmp/../etc/passwd',
  'https://example.com/r.git;touch /tmp/pwned',
];

describe('git tasks [§8]', () => {
  it.each(HOSTILE)('a hostile repo URL never reaches git: %s', async (url) => {
    const dir = tempDir();
    const record = join(dir, 'record');
    process.env.RECORD_FILE = record;
    await expect(
      syncSource({
        runner: testRunner(),
        root: dir,
        dir: join(dir, 'checkout'),
        url,
        branch: '',
        redactor: new Redactor([]),
        log: () => {},
      }),
    ).rejects.toThrow(/repoUrl/);
    expect(() => cloneTask(url, join(dir, 'x'), '')).toThrow(/git was not run/);
    expect(existsSync(record)).toBe(false);
  });

  it("[R3] a local repository inside $VIBER_HOME (another environment's checkout, the state) is refused before git runs", async () => {
    const home = tempDir('viber-home-');
    const saved = process.env.VIBER_HOME;
    process.env.VIBER_HOME = home;
    try {
      const runner = testRunner({ home });
      const other = join(home, 'workspaces', 'checkouts', 'bnd_other');
      mkdirSync(other, { recursive: true });
      for (const url of [other, `file://${other}`, `file://${home}/state`])
        await expect(
          syncSource({
            runner,
            root: runner.root,
            dir: join(runner.root, 'checkouts', 'bnd_mine'),
            url,
            branch: '',
            redactor: new Redactor([]),
            log: () => {},
          }),
        ).rejects.toThrow(/inside this Viber's own folder/);
    } finally {
      if (saved === undefined) delete process.env.VIBER_HOME;
      else process.env.VIBER_HOME = saved;
    }
  });

  it('clone puts -- before the URL and a branch cannot smuggle a flag', () => {
    expect(cloneTask('file:///srv/repo.git', '/w/x', 'main').args).toEqual([
      'clone',
      '--no-recurse-submodules',
      '--branch',
      'main',
      '--',
      'file:///srv/repo.git',
      '/w/x',
    ]);
    expect(() => cloneTask('file:///srv/repo.git', '/w/x', '--upload-pack=x')).toThrow(/repoBranch/);
  });

  it('the protocol allow-list and no-prompt settings reach git, and a token only via askpass', async () => {
    const dir = tempDir();
    const record = join(dir, 'record');
    process.env.RECORD_FILE = record;
    await runGit(cloneTask('https://example.com/r.git', join(dir, 'x'), ''), {
      runner: testRunner(),
      cwd: dir,
      token: 'tok-secret-123456',
      gitBinary: fixturePath('record-args.sh'),
    });
    const { readFileSync } = await import('node:fs');
    const args = readFileSync(record, 'utf8');
    expect(args).toContain('-- https://example.com/r.git');
    expect(args).not.toContain('tok-secret-123456');
  });

  it('clones a real repo over file:// and fast-forwards on the next sync', async () => {
    const repo = makeRepo({ 'a.txt': 'one' });
    const root = tempDir();
    const dir = join(root, 'checkout');
    const sync = () =>
      syncSource({
        runner: testRunner(),
        root,
        dir,
        url: repo.url,
        branch: 'main',
        redactor: new Redactor([]),
        log: () => {},
      });
    const first = await sync();
    const second = repo.commit({ 'b.txt': 'two' });
    expect(await sync()).toBe(second);
    expect(second).not.toBe(first);
    expect(existsSync(join(dir, 'b.txt'))).toBe(true);
  });

  it('GIT_ASKPASS answers git with the token, which never lands in .git/config', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const env = gitEnv('tok-secret-abcdef123');
    expect(
      execFileSync(env.GIT_ASKPASS!, ['Password for https://example.com: '], { env, encoding: 'utf8' }),
    ).toBe('tok-secret-abcdef123\n');
    expect(
      execFileSync(env.GIT_ASKPASS!, ['Username for https://example.com: '], { env, encoding: 'utf8' }),
    ).toBe('x-access-token\n');
    expect(env.GIT_ALLOW_PROTOCOL).toBe('https:ssh:file');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(gitEnv().VIBER_GIT_TOKEN).toBeUndefined();

    const repo = makeRepo({ 'a.txt': 'one' });
    const root = tempDir();
    await syncSource({
      runner: testRunner(),
      root,
      dir: join(root, 'c'),
      url: repo.url,
      branch: '',
      token: 'tok-secret-abcdef123',
      redactor: new Redactor([]),
      log: () => {},
    });
    expect(readFileSync(join(root, 'c', '.git', 'config'), 'utf8')).not.toContain('tok-secret');
  });
});
