// Bearer tokens: random, shown once, stored only as SHA-256 hashes.
import { createHash, randomBytes } from 'node:crypto';

/** What a token is for; the prefix also lets secret scanners recognise a leaked one. */
export const TokenKind = { session: 'ovs', viber: 'ovv', onboarding: 'ovo' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * A new random token: a kind prefix and base64url randomness. The prefix keeps it from starting
 * with '-', which a command line would read as an option (`viber onboard --token -x…`).
 */
export const newToken = (kind: TokenKind, bytes = 32) =>
  `${kind}_${randomBytes(bytes).toString('base64url')}`;

/** What is stored for a token: a stolen database yields no usable token. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export const ONBOARDING_TTL_MS = 15 * 60 * 1000;
