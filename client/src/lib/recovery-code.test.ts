import { describe, expect, it } from 'vitest';
import { decodeRecoveryCode, encodeRecoveryCode } from './recovery-code.ts';

describe('recovery code', () => {
  it('round-trips 1,000 random seeds, also typed lower-case without dashes', () => {
    for (let n = 0; n < 1000; n++) {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const code = encodeRecoveryCode(seed);
      expect(code).toMatch(/^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
      const typed = code.toLowerCase().replace(/-/g, n % 2 ? ' ' : '');
      const back = decodeRecoveryCode(typed);
      expect(back.ok && [...back.seed]).toEqual([...seed]);
    }
  });

  it('names what is wrong with a mistyped code', () => {
    const code = encodeRecoveryCode(new Uint8Array(32).fill(7));
    expect(decodeRecoveryCode(code.slice(0, -1))).toMatchObject({ ok: false, error: /52 .* 51/ });
    expect(decodeRecoveryCode(`${code.slice(0, -1)}!`)).toMatchObject({ ok: false, error: /“!”/ });
    expect(() => encodeRecoveryCode(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
