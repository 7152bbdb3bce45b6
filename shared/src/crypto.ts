// The secret scheme (design §5): X25519 key pairs and libsodium sealed boxes, base64 ORIGINAL variant.
import sodium from 'libsodium-wrappers';
import { ModelError, err, ok, type Result } from './result.ts';

const B64 = () => sodium.base64_variants.ORIGINAL;

/** Resolves once libsodium's WebAssembly is loaded; every function below awaits it. */
export async function sodiumReady(): Promise<typeof sodium> {
  await sodium.ready;
  return sodium;
}

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

/** A new X25519 key pair for a Viber, both halves base64. */
export async function generateKeyPair(): Promise<KeyPair> {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return {
    publicKey: sodium.to_base64(kp.publicKey, B64()),
    privateKey: sodium.to_base64(kp.privateKey, B64()),
  };
}

/** Seals `value` so that only the holder of `publicKey`'s private key can open it. */
export async function sealSecret(value: string, publicKey: string): Promise<string> {
  await sodium.ready;
  return sodium.to_base64(sodium.crypto_box_seal(value, sodium.from_base64(publicKey, B64())), B64());
}

/** Opens a sealed box; an error result (never a throw) when it was not sealed to this key pair. */
export async function openSealed(box: string, keys: KeyPair): Promise<Result<string>> {
  await sodium.ready;
  try {
    const opened = sodium.crypto_box_seal_open(
      sodium.from_base64(box, B64()),
      sodium.from_base64(keys.publicKey, B64()),
      sodium.from_base64(keys.privateKey, B64()),
    );
    return ok(sodium.to_string(opened));
  } catch (cause) {
    return err(
      new ModelError('sealed_box_unopenable', 'the sealed box cannot be opened with this Viber key', {
        cause,
      }),
    );
  }
}

/** A short, human-comparable fingerprint of a public key: 16 bytes of BLAKE2b as grouped hex. */
export async function keyFingerprint(publicKey: string): Promise<string> {
  await sodium.ready;
  const hash = sodium.crypto_generichash(16, sodium.from_base64(publicKey, B64()), null);
  return (sodium.to_hex(hash).match(/.{4}/g) ?? []).join(':');
}
