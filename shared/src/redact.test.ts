import { describe, expect, it } from 'vitest';
import { Redactor, secretVariants } from './redact.ts';

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

  it('[X7] a held-back end is released after a pause and stays context: the rest of the secret is still marked, nothing twice', () => {
    // A word-like line of 16+ base64 characters reads as wrapped encoder output, and its last
    // characters begin the secret: the whole line would wait for the next one, however long.
    const secret = 'e2-deploy-key-value';
    const r = new Redactor([{ name: 'K', value: secret }]);
    expect(r.push('before-the-outage\n')).toBe('before-the-outag');
    expect(r.holding).toBe(true);
    expect(r.release()).toBe('e\n');
    expect(r.holding).toBe(false);
    expect(r.release()).toBe('');
    // Ordinary output after the pause: nothing of the released text comes again.
    expect(r.push('next line\n') + r.end()).toBe('next line\n');

    // A secret cut by the pause: what came before it is out, the rest becomes the marker.
    const s = new Redactor([{ name: 'K', value: secret }]);
    const cut = secret.length - 6;
    const before = s.push(`token=${secret.slice(0, cut)}`) + s.release();
    expect(before).toBe(`token=${secret.slice(0, cut)}`);
    expect(s.push(`${secret.slice(cut)} done\n`) + s.end()).toBe('[REDACTED:K] done\n');

    // A complete secret in the held text is redacted when released.
    const t = new Redactor([{ name: 'K', value: secret }]);
    expect(t.push(`a ${secret}`) + t.release() + t.end()).toBe('a [REDACTED:K]');
  });
});

describe('[X7] wrapped and truncated forms', () => {
  const LONG = 'ghp_' + 'x9Y8w7V6u5T4s3R2q1P0o9N8m7L6k5J4i3H2g1F0e9D8c7B6a5Z4y3X2w1V0'.repeat(3);
  const wrap = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');

  it('redacts base64 and hex wrapped at any width, between ordinary log lines', () => {
    const r = new Redactor([{ name: 'T', value: LONG }]);
    for (const width of [16, 60, 64, 76]) {
      for (const encoded of [b64('k=' + LONG), Buffer.from(LONG).toString('hex')]) {
        const out = r.redact(`npm warn x\n${wrap(encoded, width)}\ndone\n`);
        expect(out).toContain('[REDACTED:T]');
        // Whole lines derived from the secret are gone; only the quantum shared with `k=` stays.
        expect(out.split('\n').filter((l) => l.length >= 12 && encoded.includes(l))).toEqual([]);
      }
    }
  });

  it('does not join ordinary lines, nor hold back a finished log line', () => {
    const r = new Redactor([{ name: 'T', value: 'abcdefgh' }]);
    expect(r.redact('abcd\nefgh')).toBe('abcd\nefgh');
    expect(r.push('building abcd\n')).toBe('building abcd\n');
  });

  it('redacts a prefix cut short with ... or …, also when the dots arrive later', () => {
    const r = new Redactor([{ name: 'T', value: LONG }]);
    expect(r.redact(`Received '${LONG.slice(0, 20)}...'`)).toBe(`Received '[REDACTED:T]'`);
    expect(r.redact(`${LONG.slice(0, 12)}…`)).toBe('[REDACTED:T]');
    expect(r.redact(`${LONG.slice(0, 11)}...`)).toBe(`${LONG.slice(0, 11)}...`);
    const s = new Redactor([{ name: 'T', value: LONG }]);
    expect(s.push(`x ${LONG.slice(0, 30)}..`) + s.push(`.'`) + s.end()).toBe(`x [REDACTED:T]'`);
  });
});

describe('Redactor streaming', () => {
  it('[X7] gives the same result in any chunking, with wrapped, CRLF and truncated forms about', () => {
    const secrets = [
      { name: 'A', value: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6' },
      { name: 'B', value: 'line-one-secret\nline-two-secret' },
      { name: 'C', value: 'short-sec' },
    ];
    const wrapAt = (s: string, w: number, eol: string) => s.match(new RegExp(`.{1,${w}}`, 'g'))!.join(eol);
    const pieces = [
      wrapAt(b64('x' + secrets[0].value), 16, '\n'),
      wrapAt(Buffer.from(secrets[0].value).toString('hex'), 20, '\r\n'),
      wrapAt(b64(secrets[1].value), 17, '\n'),
      secrets[1].value,
      'short-sec',
      secrets[0].value.slice(0, 14) + '...',
      secrets[0].value.slice(0, 14) + '..',
      'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n',
      'plain log line\n',
      '\r\n',
      '\n',
      '.',
    ];
    for (let seed = 1; seed < 150; seed++) {
      let text = '';
      for (let k = 0, x = seed; k < 10; k++, x = (x * 1103515245 + 12345) % 2 ** 31)
        text += pieces[x % pieces.length];
      const whole = new Redactor(secrets).redact(text);
      for (const step of [1, 2, 3, 7, 19]) {
        const chunks: string[] = [];
        for (let i = 0; i < text.length; i += step) chunks.push(text.slice(i, i + step));
        expect(streamThrough(new Redactor(secrets), chunks), `seed ${seed} step ${step}`).toBe(whole);
      }
      expect(whole).not.toContain(secrets[0].value);
    }
  });
});

describe('Redactor.drop: output nobody keeps is not scanned', () => {
  const secrets = [
    { name: 'A', value: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6' },
    { name: 'B', value: 'line-one-secret\nline-two-secret' },
    { name: 'C', value: 'short-sec' },
  ];
  const wrapAt = (s: string, w: number, eol: string) => s.match(new RegExp(`.{1,${w}}`, 'g'))!.join(eol);
  const pieces = [
    wrapAt(b64(secrets[0].value), 16, '\n'),
    wrapAt(Buffer.from(secrets[0].value).toString('hex'), 60, '\n'),
    secrets[0].value,
    secrets[1].value,
    JSON.stringify(secrets[1].value),
    'short-sec',
    'plain log line with words\n',
    'x'.repeat(50),
    '\n',
  ];

  it('[X7] what follows a drop is redacted as in one pass, also a secret that starts in the dropped text', () => {
    for (let seed = 1; seed < 120; seed++) {
      let text = '';
      for (let k = 0, x = seed; k < 14; k++, x = (x * 1103515245 + 12345) % 2 ** 31)
        text += pieces[x % pieces.length];
      const whole = new Redactor(secrets).redact(text);
      for (const [p, d] of [
        [0, Math.floor(text.length / 3)],
        [7, Math.floor(text.length / 2)],
        [Math.floor(text.length / 4), Math.floor(text.length / 4) + 3],
        [0, text.length - 5],
      ]) {
        for (let dd = d; dd < d + 60 && dd < text.length; dd += 3) {
          const r = new Redactor(secrets);
          const before = r.push(text.slice(0, p));
          const lost = r.drop(text, dd);
          const after = r.push(text.slice(dd)) + r.end();
          const where = `seed ${seed}, kept ${p}, dropped up to ${dd}`;
          expect(whole.startsWith(before), where).toBe(true);
          expect(whole.endsWith(after), where).toBe(true);
          expect(lost, where).toBeGreaterThanOrEqual(dd - p);
          for (const { value } of secrets)
            for (const line of value.split('\n')) expect(after).not.toContain(line);
        }
      }
    }
  });

  it('drops a huge single line without walking it, and keeps redacting after it', () => {
    const r = new Redactor(secrets);
    const flood = 'Q'.repeat(20_000_000) + secrets[0].value.slice(0, 30);
    const t0 = performance.now();
    r.drop(flood);
    expect(performance.now() - t0).toBeLessThan(1_000); // O(context), not O(flood): ~0 ms
    expect(r.push(secrets[0].value.slice(30) + ' then ' + secrets[2].value + '\n') + r.end()).toBe(
      '[REDACTED:A] then [REDACTED:C]\n',
    );
  });
});

describe('Redactor matching', () => {
  // The reference semantics: one regular expression alternating every variant, longest first.
  const reference = (secrets: { name: string; value: string }[], text: string) => {
    const names = new Map<string, string>();
    for (const s of secrets) for (const v of secretVariants(s.value)) if (!names.has(v)) names.set(v, s.name);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(
      [...names.keys()]
        .sort((a, b) => b.length - a.length)
        .map(esc)
        .join('|'),
      'g',
    );
    return text.replace(re, (m) => `[REDACTED:${names.get(m)}]`);
  };

  it('finds the same leftmost-longest matches as a longest-first alternation, at every offset and chunking', () => {
    const secrets = [
      { name: 'A', value: 'abcdefgh12' },
      { name: 'B', value: 'abcdefgh1234' },
      { name: 'C', value: 'xyz' },
      { name: 'D', value: 'line-one-secret\nline-two-secret' },
    ];
    const pieces = [
      'abcdefgh1234',
      'abcdefgh12',
      'xyz',
      'xy',
      'abcdefgh',
      b64('xyz'),
      'line-two-secret',
      'zz',
      ' ',
      'a',
    ];
    for (let seed = 1; seed < 200; seed++) {
      let text = '';
      for (let k = 0, x = seed; k < 12; k++, x = (x * 1103515245 + 12345) % 2 ** 31)
        text += pieces[x % pieces.length];
      const r = new Redactor(secrets);
      expect(r.redact(text)).toBe(reference(secrets, text));
      const step = 1 + (seed % 7);
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += step) chunks.push(text.slice(i, i + step));
      expect(streamThrough(new Redactor(secrets), chunks)).toBe(reference(secrets, text));
    }
  });
});
