// The secret scheme (design §5): X25519 key pairs and libsodium sealed boxes, base64 ORIGINAL variant.
import sodium from 'libsodium-wrappers';
import { ModelError, err, ok, type Result } from './result.ts';
import { intentBytes, type SignedIntent } from './signed-intent.ts';

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

// ---- signed intent (design §5b, [T1]–[T8]): Ed25519 over intentBytes (signed-intent.ts)

/** A user's Ed25519 signing key pair, both halves base64 (the private half is 64 bytes: seed + public). */
export interface SigningKeyPair {
  publicKey: string;
  privateKey: string;
}

/** A new Ed25519 signing key pair (`crypto_sign_keypair`), made once per user on the first device. */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  await sodium.ready;
  const kp = sodium.crypto_sign_keypair();
  return {
    publicKey: sodium.to_base64(kp.publicKey, B64()),
    privateKey: sodium.to_base64(kp.privateKey, B64()),
  };
}

/** Signs an intent with the user's private signing key; the signature is base64 (64 bytes). */
export async function signIntent(intent: SignedIntent, privateKey: string): Promise<string> {
  await sodium.ready;
  const signature = sodium.crypto_sign_detached(intentBytes(intent), sodium.from_base64(privateKey, B64()));
  return sodium.to_base64(signature, B64());
}

/** True only when `signature` is a valid signature over exactly this intent by `publicKey`; never throws. */
export async function verifyIntent(
  intent: SignedIntent,
  signature: string,
  publicKey: string,
): Promise<boolean> {
  return (await intentVerifier(publicKey))(intent, signature);
}

/**
 * A synchronous verifier for one pinned key (libsodium loaded once up front): what a Viber calls
 * in its reconcile loops. A malformed key makes every verification false.
 */
export async function intentVerifier(
  publicKey: string,
): Promise<(intent: SignedIntent, signature: string) => boolean> {
  await sodium.ready;
  let key: Uint8Array | null = null;
  try {
    key = sodium.from_base64(publicKey, B64());
    if (key.length !== sodium.crypto_sign_PUBLICKEYBYTES) key = null;
  } catch {
    key = null;
  }
  return (intent, signature) => {
    if (!key || !signature) return false;
    try {
      const sig = sodium.from_base64(signature, B64());
      return (
        sig.length === sodium.crypto_sign_BYTES &&
        sodium.crypto_sign_verify_detached(sig, intentBytes(intent), key)
      );
    } catch {
      return false; // malformed signature or an intent that cannot be encoded
    }
  };
}

/** The fingerprint of a signing public key (same format as keyFingerprint; what `--trust` takes). */
export const signingKeyFingerprint = (publicKey: string) => keyFingerprint(publicKey);

// ---- re-seal copies ([X5], [T6]): authenticated by the sending Viber's key, not signed by a device
export * from './reseal-copy.ts';
