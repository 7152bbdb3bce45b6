// Bearer tokens: random, shown once, stored only as SHA-256 hashes.
import { createHash, randomBytes } from 'node:crypto';

/** A new random token (256 bits, base64url). */
export const newToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** What is stored for a token: a stolen database yields no usable token. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export const ONBOARDING_TTL_MS = 15 * 60 * 1000;
