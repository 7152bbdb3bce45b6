// The keys a repository's config sets, as git itself lists them: compared with `git config --list`
// on configs written to hide a key from a naive reader.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitConfigKeys } from './git-config-keys.ts';
import { tempDir } from '../test/temp-dir.ts';

const CONFIGS = [
  '[core]\n\tbare = false\n[remote "origin"]\n\turl = x # c \\\n\tfetch = +refs\n',
  '[CoRe] FsMonitor = "a;b\\"" ; comment\n',
  '[filter "evil"]\n  clean = x\\\n[user]\n  name = a\n',
  '[user] name = "x # not a comment" ; a comment \\\n[filter "evil"]\n\tclean = y\n',
  '[diff.x]\ntextconv=y\n[alias]\n\tco = "!sh -c \\"echo ]\\""\n[core]\nhooksPath\n',
  '; only a comment\n# another\n[include]\n\tpath = other\n[includeIf "gitdir:/x/"]\n\tpath = y\n',
];

describe('[R3] git config keys', () => {
  it('lists what git lists, for configs written to hide a key', () => {
    for (const config of CONFIGS) {
      const dir = tempDir();
      execFileSync('git', ['init', '-q', dir]);
      writeFileSync(join(dir, '.git', 'config'), config);
      const byGit = execFileSync('git', ['config', '--list', '--name-only', '--local'], {
        cwd: dir,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean)
        .map((k) => k.toLowerCase());
      expect(gitConfigKeys(config).map((k) => k.toLowerCase())).toEqual(byGit);
    }
  });
});
