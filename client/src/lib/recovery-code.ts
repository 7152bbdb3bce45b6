// The recovery code: the signing key's 32-byte seed in RFC 4648 base32 (52 letters and digits in
// groups of 4), shown once when the key is made. The key pair is re-derived from it with
// crypto_sign_seed_keypair; a code for another key is caught by comparing with the server's public key.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const SEED_BYTES = 32;
const CODE_LENGTH = Math.ceil((SEED_BYTES * 8) / 5);

export function encodeRecoveryCode(seed: Uint8Array): string {
  if (seed.length !== SEED_BYTES) throw new RangeError(`seed must be ${SEED_BYTES} bytes`);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of seed) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join('-');
}

/** The seed in a code as typed (any case, spaces or dashes, 0/1/8 read as O/I/B); an error names what is wrong. */
export function decodeRecoveryCode(
  code: string,
): { ok: true; seed: Uint8Array } | { ok: false; error: string } {
  const clean = code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/0/g, 'O')
    .replace(/1/g, 'I')
    .replace(/8/g, 'B');
  if (clean.length !== CODE_LENGTH)
    return {
      ok: false,
      error: `A recovery code has ${CODE_LENGTH} letters and digits; this one has ${clean.length}.`,
    };
  const bad = [...clean].find((c) => !ALPHABET.includes(c));
  if (bad) return { ok: false, error: `“${bad}” is not part of a recovery code.` };
  const seed = new Uint8Array(SEED_BYTES);
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const c of clean) {
    value = ((value << 5) | ALPHABET.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8 && i < SEED_BYTES) {
      seed[i++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return { ok: true, seed };
}
