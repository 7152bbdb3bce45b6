import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { environmentCreateSchema } from './schemas.ts';
import { validate } from './validate.ts';
import {
  createEnvironment,
  environmentsMap,
  getEnvironment,
  patchEnvironment,
} from './workspace-environments.ts';

const input = () => {
  const r = validate(environmentCreateSchema, { name: 'api', type: 'manual', vars: { A: '1' } });
  if (!r.ok) throw r.error;
  return r.value;
};

function sync(a: Y.Doc, b: Y.Doc) {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
}

describe('environments as nested Y.Maps', () => {
  it('[Y1] two offline peers editing different fields of one environment both keep their edit', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const id = createEnvironment(a, input());
    sync(a, b);
    patchEnvironment(a, id, { name: 'renamed on A' });
    patchEnvironment(b, id, { setupScript: 'npm ci', vars: { B: '2' } });
    sync(a, b);
    for (const doc of [a, b]) {
      expect(getEnvironment(doc, id)).toMatchObject({
        name: 'renamed on A',
        setupScript: 'npm ci',
        vars: { A: '1', B: '2' },
      });
    }
  });

  it('a field a hostile peer stored with the wrong type reads as its default and is reported', () => {
    const doc = new Y.Doc();
    const id = createEnvironment(doc, input());
    const map = environmentsMap(doc).get(id) as Y.Map<unknown>;
    map.set('repoUrl', '--upload-pack=touch /tmp/pwned');
    map.set('networkAccess', 'yes');
    const env = getEnvironment(doc, id)!;
    expect(env.repoUrl).toBe('');
    expect(env.networkAccess).toBe(true);
    expect(env.problems.map((p) => p.field).sort()).toEqual(['networkAccess', 'repoUrl']);
    expect(env.name).toBe('api');
  });
});
