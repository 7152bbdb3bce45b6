// [X4] Replacing a secret's value replaces every ciphertext and bumps updatedAt; a re-seal adds one
// ciphertext and leaves updatedAt alone; removing a Viber removes its ciphertexts.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { environmentCreateSchema, environmentPatchSchema } from './schemas.ts';
import {
  addSealedCopy,
  createEnvironment,
  getEnvironment,
  patchEnvironment,
} from './workspace-environments.ts';
import { removeViberCascade } from './workspace.ts';

/** A stand-in sealed box: base64 of random bytes, longer than a sealed box's overhead. */
const box = () => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(64))).toString('base64');

describe('[X4] secret ciphertexts', () => {
  it('a re-seal adds a copy without touching updatedAt; a new value drops every old copy; a removed Viber loses its copies', () => {
    const doc = new Y.Doc();
    const [a1, b1, c1, a2] = [box(), box(), box(), box()];
    const id = createEnvironment(
      doc,
      environmentCreateSchema.parse({
        name: 'api',
        type: 'manual',
        secrets: { TOKEN: { sealed: { vbr_a: a1, vbr_b: b1 }, scope: 'runtime' } },
      }),
      1_000,
    );
    const secret = () => getEnvironment(doc, id)!.secrets['TOKEN']!;
    expect(secret()).toMatchObject({ updatedAt: 1_000, sealed: { vbr_a: a1, vbr_b: b1 } });

    expect(addSealedCopy(doc, id, 'TOKEN', 'vbr_c', c1)).toBe(true);
    expect(secret()).toMatchObject({ updatedAt: 1_000, sealed: { vbr_a: a1, vbr_b: b1, vbr_c: c1 } });

    const patch = environmentPatchSchema.parse({
      secrets: { TOKEN: { sealed: { vbr_a: a2 }, scope: 'setup' } },
    });
    patchEnvironment(doc, id, patch, 2_000);
    expect(secret()).toMatchObject({ updatedAt: 2_000, scope: 'setup' });
    // The old value's copies would open to the old value: none survives.
    expect(secret().sealed).toEqual({ vbr_a: a2 });

    addSealedCopy(doc, id, 'TOKEN', 'vbr_b', box());
    removeViberCascade(doc, 'vbr_b');
    expect(Object.keys(secret().sealed)).toEqual(['vbr_a']);
    expect(secret().updatedAt).toBe(2_000);
  });
});
