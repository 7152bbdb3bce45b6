import { describe, expect, it } from 'vitest';
import { environmentCreateSchema } from './schemas.ts';
import { validate } from './validate.ts';
import { checkRepoUrl } from './validate-repo-url.ts';

const fieldsOf = (repoUrl: string) => {
  const r = validate(environmentCreateSchema, { name: 'api', type: 'github', repoUrl });
  return r.ok ? [] : r.error.issues.map((i) => `${i.field}: ${i.message}`);
};

// Each of these makes ssh read its user or host as an option (`-oProxyCommand=…` runs a command).
const HOSTILE = [
  'ssh://-oProxyCommand=touch%20pwned/repo',
  'ssh://-oProxyCommand=sh/repo',
  'ssh://-oProxyCommand=x@host/repo',
  'ssh://git@-oProxyCommand=x/repo',
  'ssh://%2DoProxyCommand=x/repo',
  'ssh://%2doProxyCommand=x@host/repo',
  'ssh://git@%2DoProxyCommand/repo',
  'ssh://-host:22/repo',
  'git@-oProxyCommand:repo',
  'git@-oProxyCommand=x:repo',
  '-oProxyCommand=x@host:repo',
  'git@host:-repo',
];

describe('repo URL check (design §8, issue 14 finding 7)', () => {
  it.each(HOSTILE)('refuses %s with an error naming repoUrl', (url) => {
    expect(checkRepoUrl(url).ok).toBe(false);
    const errors = fieldsOf(url);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^repoUrl: /);
  });

  it('says which ssh part starts with -', () => {
    expect(checkRepoUrl('git@-oProxyCommand:repo')).toEqual({
      ok: false,
      message: "must not have an ssh host starting with '-'",
    });
    expect(checkRepoUrl('ssh://-oProxyCommand=x@host/repo')).toEqual({
      ok: false,
      message: "must not have an ssh user starting with '-'",
    });
  });

  it.each([
    'ssh://git@github.com/a/b.git',
    'ssh://git@host:2222/a-b/c.git',
    'ssh://host/repo',
    'git@github.com:a/b.git',
    'deploy-bot@git.example.com:team/repo.git',
    'git@host-1.example.com:a/b',
  ])('still accepts %s', (url) => expect(checkRepoUrl(url)).toEqual({ ok: true }));
});
