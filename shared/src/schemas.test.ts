import { describe, expect, it } from 'vitest';
import { environmentCreateSchema, environmentPatchSchema } from './schemas.ts';
import { validate } from './validate.ts';

const base = { name: 'api', type: 'github', repoUrl: 'https://github.com/acme/api.git' };
const fieldsOf = (input: unknown, schema = environmentCreateSchema) => {
  const r = validate(schema, input);
  return r.ok ? [] : r.error.issues.map((i) => i.field);
};

describe('environment schema', () => {
  it('accepts a minimal github environment and fills defaults', () => {
    const r = validate(environmentCreateSchema, base);
    expect(r.ok && r.value).toMatchObject({ setupMode: 'auto', networkAccess: true, vars: {}, secrets: {} });
  });
  it.each([
    '--upload-pack=touch /tmp/x',
    'ext::sh -c id',
    'https://x/y;rm -rf',
    'http://example.com/repo.git',
    'https://user:pw@example.com/repo.git',
    'fd::17',
    'file://remote-host/repo',
    '/srv/../etc/repo',
  ])('refuses the repo URL %s, naming repoUrl', (repoUrl) => {
    expect(fieldsOf({ ...base, repoUrl })).toEqual(['repoUrl']);
  });
  it.each([
    'https://github.com/a/b.git',
    'ssh://git@host:22/a/b.git',
    'git@github.com:a/b.git',
    'file:///tmp/repo.git',
    '/srv/repo',
  ])('accepts the repo URL %s', (repoUrl) => expect(fieldsOf({ ...base, repoUrl })).toEqual([]));
  it('refuses a working directory with .. or an absolute path', () => {
    expect(fieldsOf({ ...base, workingDir: '../x' })).toEqual(['workingDir']);
    expect(fieldsOf({ ...base, workingDir: 'a/../../b' })).toEqual(['workingDir']);
    expect(fieldsOf({ ...base, workingDir: '/etc' })).toEqual(['workingDir']);
  });
  it('refuses unknown fields by name, and wrong types', () => {
    expect(fieldsOf({ ...base, colour: 'red' })).toEqual(['colour']);
    expect(fieldsOf({ ...base, networkAccess: 'yes' })).toEqual(['networkAccess']);
    expect(fieldsOf({ type: 'github', repoUrl: base.repoUrl })).toEqual(['name']);
  });
  it('refuses plaintext secret values in every shape', () => {
    expect(fieldsOf({ ...base, secrets: { TOKEN: 'plain-value-123' } })).toEqual(['secrets.TOKEN']);
    expect(fieldsOf({ ...base, secrets: { TOKEN: { value: 'plain-value-123' } } })[0]).toMatch(
      /^secrets\.TOKEN/,
    );
    expect(fieldsOf({ ...base, secrets: { TOKEN: { sealed: { v1: 'plain-value-123' } } } })).toEqual([
      'secrets.TOKEN.sealed.v1',
    ]);
    const sealedLooking = Buffer.alloc(60, 1).toString('base64');
    expect(fieldsOf({ ...base, secrets: { TOKEN: { sealed: { v1: sealedLooking } } } })).toEqual([]);
  });
  it('needs the source field of its type', () => {
    expect(fieldsOf({ name: 'x', type: 'github' })).toEqual(['repoUrl']);
    expect(fieldsOf({ name: 'x', type: 'local' })).toEqual(['localPath']);
    expect(fieldsOf({ name: 'x', type: 'manual' })).toEqual([]);
  });
  it('refuses NUL and unpaired surrogates in scripts, variables, the agent command and the description, naming each', () => {
    for (const bad of ['echo a\0b', 'echo \ud800 lone']) {
      expect(fieldsOf({ ...base, setupScript: bad })).toEqual(['setupScript']);
      expect(fieldsOf({ ...base, maintenanceScript: bad })).toEqual(['maintenanceScript']);
      expect(fieldsOf({ ...base, agentCommand: bad })).toEqual(['agentCommand']);
      expect(fieldsOf({ ...base, description: bad })).toEqual(['description']);
      expect(fieldsOf({ ...base, vars: { A: bad } })).toEqual(['vars.A']);
    }
    expect(fieldsOf({ ...base, setupScript: 'echo "héllo 😀"\n\tdone' })).toEqual([]);
  });

  it('patches accept null to delete a variable', () => {
    expect(fieldsOf({ vars: { A: null, B: 'x' } }, environmentPatchSchema as never)).toEqual([]);
    expect(fieldsOf({ vars: { 'bad-key': 'x' } }, environmentPatchSchema as never)).toEqual(['vars.bad-key']);
  });
});
