import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.ts';

const SECRET = 'hunter2-SuperSecret!';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function streamThrough(redactor: Redactor, chunks: string[]): string {
  return chunks.map((c) => redactor.push(c)).join('') + redactor.end();
}

describe('Redactor', () => {
  it('redacts the plain value, base64 (also of value+newline), URL, JSON and shell forms', () => {
    const r = new Redactor([{ name: 'TOKEN', value: SECRET }]);
    const text = [
      SECRET,
      b64(SECRET),
      b64(SECRET + '\n'),
      encodeURIComponent(SECRET),
      JSON.stringify({ t: SECRET }),
      `'${SECRET.replace(/'/g, `'\\''`)}'`,
    ].join(' | ');
    const out = r.redact(text);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(b64(SECRET));
    expect(out).not.toContain(b64(SECRET + '\n').slice(0, 20));
    expect(out).toContain('[REDACTED:TOKEN]');
  });

  it('redacts base64 of the secret embedded at any alignment in a larger payload', () => {
    const r = new Redactor([{ name: 'T', value: SECRET }]);
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const encoded = b64(prefix + SECRET + 'tail');
      const out = r.redact(encoded);
      // the aligned middle of the encoding carries the secret; it must be gone
      expect(out).toContain('[REDACTED:T]');
    }
  });

  it('redacts a secret split across chunks at every split point', () => {
    const text = `before ${SECRET} after`;
    for (let i = 1; i < text.length; i++) {
      const r = new Redactor([{ name: 'T', value: SECRET }]);
      const out = streamThrough(r, [text.slice(0, i), text.slice(i)]);
      expect(out).toBe('before [REDACTED:T] after');
    }
  });

  it('redacts every line of a multi-line secret, even when printed one line at a time', () => {
    const key = '-----BEGIN KEY-----\nAAAAlineoneSECRET\nBBBBlinetwoSECRET\n-----END KEY-----';
    const r = new Redactor([{ name: 'KEY', value: key }]);
    const out = streamThrough(r, ['x AAAAlineone', 'SECRET y\n', 'BBBBlinetwoSECRET\n']);
    expect(out).not.toContain('lineoneSECRET');
    expect(out).not.toContain('linetwoSECRET');
  });

  it('emits output without a possible secret prefix immediately', () => {
    const r = new Redactor([{ name: 'T', value: SECRET }]);
    expect(r.push('hello world\n')).toBe('hello world\n');
    expect(r.push('ends with hun')).toBe('ends with ');
    expect(r.push('gry\n')).toBe('hungry\n');
  });
});
