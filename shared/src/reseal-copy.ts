// A re-seal copy ([X5]): a secret one Viber passes to another, authenticated by the sender's X25519
// key (libsodium `crypto_box_easy`), not by a user's signature. The app cannot read a ciphertext, so
// its signature over one would prove nothing; the sender's key does, once a binding the user signed
// names that key ([T6]). Layout, base64 ORIGINAL as every ciphertext:
//   "openviber-reseal/1" (18 bytes) | sender id length (1) | sender id | sender public key (32)
//   | nonce (24) | crypto_box_easy(plaintext, nonce, recipient public key, sender private key)
// plaintext: UTF-8 of `<canonical JSON of { environmentId, key, viberId, from, updatedAt }>\n<value>`,
// so a copy cannot be moved to another environment, secret, Viber or value (updatedAt) unnoticed.
import sodium from 'libsodium-wrappers';
import { isId } from './ids.ts';
import { ModelError, err, ok, type Result } from './result.ts';
import { canonicalJson } from './signed-intent.ts';

const MAGIC = 'openviber-reseal/1';
/** How every re-seal copy's base64 starts (the magic is 18 bytes, so its base64 never shifts). */
export const RESEAL_COPY_PREFIX = 'b3BlbnZpYmVyLXJlc2VhbC8x';

const B64 = () => sodium.base64_variants.ORIGINAL;

/** Which secret value, for which Viber, a copy carries: authenticated inside the box. */
export interface ResealTarget {
  environmentId: string;
  key: string;
  /** The recipient. */
  viberId: string;
  /** The secret's updatedAt: a copy of an older value does not open as the current one. */
  updatedAt: number;
}

/** Who sealed a copy, as the copy says: only a binding the user signed makes the key count ([T6]). */
export interface ResealSender {
  viberId: string;
  publicKey: string;
}

/** A re-seal copy (rather than a `crypto_box_seal` made by a device); needs no libsodium. */
export const isResealCopy = (box: string) => box.startsWith(RESEAL_COPY_PREFIX);

const header = (target: ResealTarget, from: string) =>
  canonicalJson({
    environmentId: target.environmentId,
    key: target.key,
    viberId: target.viberId,
    from,
    updatedAt: target.updatedAt,
  });

/** Seals `value` from `sender` (its id and key pair) to the recipient's public key. */
export async function sealResealCopy(
  value: string,
  target: ResealTarget,
  sender: { viberId: string; publicKey: string; privateKey: string },
  recipientPublicKey: string,
): Promise<string> {
  await sodium.ready;
  const id = sodium.from_string(sender.viberId);
  if (!isId(sender.viberId) || id.length > 255) throw new TypeError('sender.viberId must be an id');
  const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
  const box = sodium.crypto_box_easy(
    sodium.from_string(`${header(target, sender.viberId)}\n${value}`),
    nonce,
    sodium.from_base64(recipientPublicKey, B64()),
    sodium.from_base64(sender.privateKey, B64()),
  );
  const magic = sodium.from_string(MAGIC);
  const publicKey = sodium.from_base64(sender.publicKey, B64());
  const out = new Uint8Array(magic.length + 1 + id.length + publicKey.length + nonce.length + box.length);
  let at = 0;
  for (const part of [magic, Uint8Array.of(id.length), id, publicKey, nonce, box]) {
    out.set(part, at);
    at += part.length;
  }
  return sodium.to_base64(out, B64());
}

interface Envelope {
  sender: ResealSender;
  senderKey: Uint8Array;
  nonce: Uint8Array;
  box: Uint8Array;
}

/** Synchronous after `sodium.ready`: never throws; null for anything that is not a well-formed copy. */
function parse(copy: string): Envelope | null {
  if (!isResealCopy(copy)) return null;
  try {
    const bytes = sodium.from_base64(copy, B64());
    let at = MAGIC.length;
    const idLength = bytes[at++] ?? 0;
    const viberId = sodium.to_string(bytes.subarray(at, (at += idLength)));
    const senderKey = bytes.subarray(at, (at += sodium.crypto_box_PUBLICKEYBYTES));
    const nonce = bytes.subarray(at, (at += sodium.crypto_box_NONCEBYTES));
    const box = bytes.subarray(at);
    if (
      !isId(viberId) ||
      senderKey.length !== sodium.crypto_box_PUBLICKEYBYTES ||
      nonce.length !== sodium.crypto_box_NONCEBYTES ||
      box.length < sodium.crypto_box_MACBYTES
    )
      return null;
    return { sender: { viberId, publicKey: sodium.to_base64(senderKey, B64()) }, senderKey, nonce, box };
  } catch {
    return null;
  }
}

function open(copy: string, keys: { privateKey: string }, target: ResealTarget): Result<string> {
  const envelope = parse(copy);
  if (!envelope) return err(new ModelError('reseal_copy_malformed', 'the re-seal copy is malformed'));
  let plaintext: string;
  try {
    plaintext = sodium.to_string(
      sodium.crypto_box_open_easy(
        envelope.box,
        envelope.nonce,
        envelope.senderKey,
        sodium.from_base64(keys.privateKey, B64()),
      ),
    );
  } catch (cause) {
    return err(
      new ModelError(
        'reseal_copy_unopenable',
        `the re-seal copy does not open with its sender's key (${envelope.sender.viberId}) and this Viber's key`,
        { cause },
      ),
    );
  }
  const expected = `${header(target, envelope.sender.viberId)}\n`;
  if (!plaintext.startsWith(expected))
    return err(
      new ModelError(
        'reseal_copy_mismatch',
        `the re-seal copy is for another environment, secret, Viber or value than ${target.environmentId}/${target.key} at ${target.updatedAt}`,
      ),
    );
  return ok(plaintext.slice(expected.length));
}

/**
 * Synchronous readers for a Viber's reconcile loops (libsodium loaded once here): `sender` is what
 * the copy claims (unauthenticated), `open` authenticates it with that sender's key and checks it is
 * for `target`; neither throws.
 */
export async function resealCopyReader(): Promise<{
  sender(copy: string): ResealSender | null;
  open(copy: string, keys: { privateKey: string }, target: ResealTarget): Result<string>;
}> {
  await sodium.ready;
  return { sender: (copy) => parse(copy)?.sender ?? null, open };
}

/** Opens a re-seal copy sent to this key pair for `target` (see resealCopyReader). */
export async function openResealCopy(
  copy: string,
  keys: { privateKey: string },
  target: ResealTarget,
): Promise<Result<string>> {
  await sodium.ready;
  return open(copy, keys, target);
}
