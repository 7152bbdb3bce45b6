import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  isResealCopy,
  openResealCopy,
  resealCopyReader,
  sealResealCopy,
  sealSecret,
} from './crypto.ts';
import { sealedBoxSchema } from './schemas.ts';

const TARGET = { environmentId: 'env_a', key: 'API_TOKEN', viberId: 'vbr_target', updatedAt: 5 };
const VALUE = 'the-users-own-value-123\nsecond line';

async function parties() {
  const sender = { viberId: 'vbr_holder', ...(await generateKeyPair()) };
  const recipient = await generateKeyPair();
  return { sender, recipient };
}

describe('[X5] [T6] re-seal copies are authenticated by the sending Viber', () => {
  it('opens for the recipient, names its sender, and is stored like any ciphertext', async () => {
    const { sender, recipient } = await parties();
    const copy = await sealResealCopy(VALUE, TARGET, sender, recipient.publicKey);
    expect(isResealCopy(copy)).toBe(true);
    expect(sealedBoxSchema.safeParse(copy).success).toBe(true);
    expect(isResealCopy(await sealSecret(VALUE, recipient.publicKey))).toBe(false);
    const reader = await resealCopyReader();
    expect(reader.sender(copy)).toEqual({ viberId: 'vbr_holder', publicKey: sender.publicKey });
    expect(await openResealCopy(copy, recipient, TARGET)).toEqual({ ok: true, value: VALUE });
  });

  it('does not open as another secret, environment, Viber or older value', async () => {
    const { sender, recipient } = await parties();
    const copy = await sealResealCopy(VALUE, TARGET, sender, recipient.publicKey);
    for (const moved of [
      { ...TARGET, key: 'OTHER' },
      { ...TARGET, environmentId: 'env_b' },
      { ...TARGET, viberId: 'vbr_other' },
      { ...TARGET, updatedAt: 6 },
    ]) {
      const opened = await openResealCopy(copy, recipient, moved);
      expect(!opened.ok && opened.error.code).toBe('reseal_copy_mismatch');
    }
  });

  it('a copy claiming a sender whose private key made it not, or sealed to another Viber, does not open', async () => {
    const { sender, recipient } = await parties();
    const attacker = await generateKeyPair();
    // Made with the attacker's private key but naming the holder's public key.
    const forged = await sealResealCopy(
      'attacker-chosen-value',
      TARGET,
      { viberId: sender.viberId, publicKey: sender.publicKey, privateKey: attacker.privateKey },
      recipient.publicKey,
    );
    const opened = await openResealCopy(forged, recipient, TARGET);
    expect(!opened.ok && opened.error.code).toBe('reseal_copy_unopenable');
    const other = await generateKeyPair();
    const copy = await sealResealCopy(VALUE, TARGET, sender, recipient.publicKey);
    expect((await openResealCopy(copy, other, TARGET)).ok).toBe(false);
    const reader = await resealCopyReader();
    expect(reader.sender(copy.slice(0, 40))).toBeNull();
    expect(reader.open('not a copy', recipient, TARGET).ok).toBe(false);
  });
});
