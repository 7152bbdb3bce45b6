// The spec hash covers exactly the fields a prepare depends on (PREPARE_FIELDS, one list for every process).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { environmentCreateSchema } from './schemas.ts';
import { PREPARE_FIELDS, environmentSpecHash } from './spec-hash.ts';
import { createEnvironment, getEnvironment, type Environment } from './workspace-environments.ts';

const doc = new Y.Doc();
const id = createEnvironment(
  doc,
  environmentCreateSchema.parse({
    name: 'n',
    type: 'github',
    repoUrl: 'https://example.com/y.git',
    repoBranch: 'dev',
    setupScript: 'npm ci',
    maintenanceScript: 'git pull',
    workingDir: 'app',
    vars: { B: '2', A: '1' },
  }),
  1000,
);
const env = getEnvironment(doc, id)!;

describe('[D1] environment spec hash', () => {
  it('is stable across releases (a changed hash would show every prepared binding stale after an upgrade)', () => {
    expect([
      environmentSpecHash(env),
      environmentSpecHash(env, { strategy: 'existing', existingPath: '/srv/x' }),
    ]).toEqual(['be46ae4eac201fdabd94277de36b2f23', '16d50959c57644d9dd9f03187da52b8e']);
  });

  it('changes with every field in PREPARE_FIELDS, and not with the name or description', () => {
    const base = environmentSpecHash(env);
    for (const field of PREPARE_FIELDS) {
      const changed = {
        ...env,
        [field]: field === 'type' ? 'local' : `${String(env[field])}-x`,
      } as Environment;
      expect(environmentSpecHash(changed), field).not.toBe(base);
    }
    expect(environmentSpecHash({ ...env, name: 'other', description: 'd' })).toBe(base);
    expect(environmentSpecHash({ ...env, vars: { ...env.vars, C: '3' } })).not.toBe(base);
  });
});
