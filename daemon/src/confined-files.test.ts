// [R3] The daemon's own file work in a task's working copy never reaches, through a link the task
// planted, what the task itself could not: in process below the task's reach (no link on the way,
// never following the last), through the runner with the same reach (keys and other environments
// hidden) elsewhere.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendLineOnceConfined, copyConfined, removeConfined, writeConfined } from './confined-files.ts';
import { testRunner } from '../test/test-runner.ts';
import { tempDir } from '../test/temp-dir.ts';

function world() {
  const runner = testRunner();
  const tree = join(runner.root, 'worktrees', 'tsk_1');
  mkdirSync(tree, { recursive: true });
  mkdirSync(runner.stateDir, { recursive: true });
  const secret = join(runner.home, 'config.json');
  writeFileSync(secret, '{"privateKey":"KEY-MATERIAL"}');
  const at = { runner, reach: [tree], cwd: tree };
  return { runner, tree, secret, at };
}

describe('[R3] confined file work', () => {
  it('copies a task file in process, but never from or to a link the task planted', async () => {
    const { tree, secret, at } = world();
    writeFileSync(join(tree, 'index'), 'real index');
    expect(await copyConfined(at, join(tree, 'index'), join(tree, 'copy'))).toBe(true);
    expect(readFileSync(join(tree, 'copy'), 'utf8')).toBe('real index');

    // The source is a link to the Viber's config, the destination a link to where the task reads.
    const leak = join(tempDir(), 'leak');
    symlinkSync(secret, join(tree, 'index-link'));
    symlinkSync(leak, join(tree, 'scratch'));
    expect(await copyConfined(at, join(tree, 'index-link'), join(tree, 'scratch'))).toBe(false);
    expect(existsSync(leak)).toBe(false);
    expect(existsSync(join(tree, 'scratch'))).toBe(false); // the planted link is gone, not followed
    await removeConfined(at, join(tree, 'copy'));
    expect(existsSync(join(tree, 'copy'))).toBe(false);
  });

  it('a directory on the way that is a link (.openviber -> $VIBER_HOME/state) cannot make the daemon write there', async () => {
    const { runner, tree, at } = world();
    symlinkSync(runner.stateDir, join(tree, '.openviber'));
    await expect(writeConfined(at, join(tree, '.openviber', 'transcript.json'), '{}')).rejects.toThrow(
      /could not write/,
    );
    expect(existsSync(join(runner.stateDir, 'transcript.json'))).toBe(false);
    await expect(
      appendLineOnceConfined(at, join(tree, '.openviber', 'exclude'), '.openviber/'),
    ).rejects.toThrow(/could not write/);
    expect(existsSync(join(runner.stateDir, 'exclude'))).toBe(false);
  });

  it('writes and appends once in process when nothing on the way is a link', async () => {
    const { runner, tree, at } = world();
    const exclude = join(tree, '.git', 'info', 'exclude');
    await appendLineOnceConfined(at, exclude, '.openviber/');
    await appendLineOnceConfined(at, exclude, '.openviber/');
    expect(readFileSync(exclude, 'utf8')).toBe('.openviber/\n');
    // The file itself a link (to the Viber's config): refused, the config untouched.
    const linked = join(tree, '.git', 'info', 'linked');
    symlinkSync(join(runner.home, 'config.json'), linked);
    await expect(appendLineOnceConfined(at, linked, '.openviber/')).rejects.toThrow(/is a link/);
    expect(readFileSync(join(runner.home, 'config.json'), 'utf8')).toBe('{"privateKey":"KEY-MATERIAL"}');
    await writeConfined(at, join(tree, '.openviber', 'seeded'), 'x\n');
    expect(readFileSync(join(tree, '.openviber', 'seeded'), 'utf8')).toBe('x\n');
  });

  it('a link to another environment’s checkout reaches nothing there: the runner sees the task’s reach only', async () => {
    const { runner, tree, at } = world();
    const other = join(runner.root, 'checkouts', 'bnd_other');
    mkdirSync(join(other, '.git', 'info'), { recursive: true });
    writeFileSync(join(other, '.env'), 'OTHER_TOKEN=tok-other-env\n');
    symlinkSync(other, join(tree, '.openviber'));
    await expect(writeConfined(at, join(tree, '.openviber', 'transcript.json'), '{}')).rejects.toThrow(
      /could not write/,
    );
    expect(existsSync(join(other, 'transcript.json'))).toBe(false);
    await expect(
      appendLineOnceConfined(at, join(tree, '.openviber', '.git', 'info', 'exclude'), 'x'),
    ).rejects.toThrow(/could not write/);
    expect(existsSync(join(other, '.git', 'info', 'exclude'))).toBe(false);
    expect(await copyConfined(at, join(tree, '.openviber', '.env'), join(tree, 'copied'))).toBe(false);
    expect(existsSync(join(tree, 'copied'))).toBe(false);
  });
});
