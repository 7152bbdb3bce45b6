import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyFingerprint, openSealed, sealSecret } from './crypto.ts';
import { sealedBoxSchema } from './schemas.ts';

describe('[X1] [X2] sealed secrets', () => {
  it('a value sealed to a Viber opens only with that Viber key pair', async () => {
    const viber = await generateKeyPair();
    const other = await generateKeyPair();
    const box = await sealSecret('ghp_exampleTokenValue', viber.publicKey);
    expect(sealedBoxSchema.safeParse(box).success).toBe(true);
    expect(box).not.toContain('ghp_');
    const opened = await openSealed(box, viber);
    expect(opened.ok && opened.value).toBe('ghp_exampleTokenValue');
    const wrong = await openSealed(box, other);
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.error.code).toBe('sealed_box_unopenable');
  });
  it('fingerprints are stable per key and differ between keys', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    expect(await keyFingerprint(a.publicKey)).toBe(await keyFingerprint(a.publicKey));
    expect(await keyFingerprint(a.publicKey)).not.toBe(await keyFingerprint(b.publicKey));
    expect(await keyFingerprint(a.publicKey)).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
  });
});
