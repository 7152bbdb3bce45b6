// Password hashing with Argon2id (node:crypto, memory-hard). Stored as argon2id$m$t$p$salt$hash.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';

const PARAMS = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 } as const;

function derive(
  password: string,
  salt: Buffer,
  p: { memory: number; passes: number; parallelism: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2('argon2id', { message: password, nonce: salt, tagLength: PARAMS.tagLength, ...p }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hashes a password for storage. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, PARAMS);
  return [
    'argon2id',
    PARAMS.memory,
    PARAMS.passes,
    PARAMS.parallelism,
    salt.toString('base64'),
    hash.toString('base64'),
  ].join('$');
}

/** True when `password` matches the stored hash (constant-time compare). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, memory, passes, parallelism, salt, hash] = stored.split('$');
  if (alg !== 'argon2id' || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    memory: Number(memory),
    passes: Number(passes),
    parallelism: Number(parallelism),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
