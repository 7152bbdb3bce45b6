// Issue 14 finding 4: a secret holding a NUL cannot reach a process environment; Node's error quotes
// the value (escaped as \x00, cut at 128 characters) and that error became the binding's lastError.
import { join } from 'node:path';
import { inspect } from 'node:util';
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
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair, sealSecret } from '@openviber/shared/crypto';
import { prepareBinding } from './prepare.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';

const VIBER = 'vbr_nul' as ViberId;

describe('[X7] a secret with a NUL', () => {
  it.each([
    ['short', 'nul\x00inside-the-secret-42'],
    ['longer than Node quotes', `pre-${'k9'.repeat(40)}\x00${'z7'.repeat(60)}-post`],
  ])('(%s) fails the prepare without its value in lastError or the log', async (_, value) => {
    const keys = await generateKeyPair();
    const home = tempDir();
    const workspace = new Y.Doc();
    const envId = createEnvironment(
      workspace,
      environmentCreateSchema.parse({
        name: 'env',
        type: 'manual',
        setupMode: 'manual',
        setupScript: 'true',
        secrets: {
          NUL_SECRET: { sealed: { [VIBER]: await sealSecret(value, keys.publicKey) }, scope: 'setup' },
        },
      }),
    );
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
    expect(
      await prepareBinding(deps, getBinding(workspace, bindingId)!, getEnvironment(workspace, envId)!),
    ).toBe('error');
    const written = `${readObservation(viberDoc, bindingId)?.lastError}\n${readPrepareLog(logDoc).lines.join('\n')}`;
    expect(readObservation(viberDoc, bindingId)?.lastError).toContain('[REDACTED:NUL_SECRET]');
    // No 12 characters of the value, as written or as Node escapes it, survive.
    for (const form of [value, inspect(value).slice(1, -1)])
      for (let i = 0; i + 12 <= form.length; i++) expect(written).not.toContain(form.slice(i, i + 12));
  });
});
