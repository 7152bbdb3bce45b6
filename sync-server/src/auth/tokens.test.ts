import { describe, expect, it } from 'vitest';
import { TokenKind, hashToken, newToken } from './tokens.ts';

describe('tokens', () => {
  it('never start with "-", so `viber onboard --token <t>` cannot mistake one for an option', () => {
    for (let i = 0; i < 2_000; i++)
      expect(newToken(TokenKind.onboarding, 24)).toMatch(/^ovo_[A-Za-z0-9_-]{32}$/);
  });
  it('are stored as hashes that do not reveal them', () => {
    const token = newToken(TokenKind.session);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toContain(token.slice(4, 12));
  });
});
