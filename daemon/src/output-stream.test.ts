import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { boundedOutput, boundedStream } from './output-stream.ts';

const SECRET = 'hunter2-correct-horse-battery';

function run(chunks: Buffer[], keepChars: number) {
  const got: { text: string; dropped: number }[] = [];
  const out = boundedOutput(
    new Redactor([{ name: 'TOKEN', value: SECRET }]),
    { keepChars, batch: { intervalMs: 10_000 } },
    (text, dropped) => got.push({ text, dropped }),
  );
  for (const c of chunks) out.write(c);
  out.end(); // one batch: everything written so far
  return { text: got.map((g) => g.text).join(''), dropped: got.reduce((n, g) => n + g.dropped, 0) };
}

describe('bounded output [X7]', () => {
  it('a secret cut by the kept end becomes its marker, at every cut; multi-byte text stays whole', () => {
    const after = 'é'.repeat(40) + '\n';
    for (let cutInside = 0; cutInside <= SECRET.length; cutInside++) {
      const text = 'ü'.repeat(3000) + SECRET + after;
      const bytes = Buffer.from(text);
      const keep = Buffer.byteLength(SECRET.slice(SECRET.length - cutInside) + after);
      // Chunked at odd sizes so characters and the secret are split across writes.
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 333) chunks.push(bytes.subarray(i, i + 333));
      const { text: out, dropped } = run(chunks, keep);
      const where = `${cutInside} characters of the secret in the kept end`;
      expect(out.endsWith(after), where).toBe(true);
      expect(out, where).not.toContain('\uFFFD');
      if (cutInside > 0) expect(out, where).toBe(`[REDACTED:TOKEN]${after}`);
      for (let k = 0; k + 6 <= SECRET.length; k++) expect(out, where).not.toContain(SECRET.slice(k, k + 6));
      expect(dropped, where).toBeGreaterThan(3000);
    }
  });

  it('output within the bound is passed whole, redacted, nothing dropped', () => {
    const { text, dropped } = run([Buffer.from(`a ${SECRET} b\n`)], 1000);
    expect(text).toBe('a [REDACTED:TOKEN] b\n');
    expect(dropped).toBe(0);
  });

  it('after a skip (a spooled flood read from its end), a secret cut by the kept end still becomes its marker', () => {
    for (let cutInside = 1; cutInside <= SECRET.length; cutInside++) {
      const got: { text: string; dropped: number }[] = [];
      const after = 'done\n';
      const keep = Buffer.byteLength(SECRET.slice(SECRET.length - cutInside) + after);
      const out = boundedStream(new Redactor([{ name: 'TOKEN', value: SECRET }]), keep, (text, dropped) =>
        got.push({ text, dropped }),
      );
      const window = Buffer.from('x'.repeat(out.windowBytes) + SECRET + after).subarray(-out.windowBytes);
      out.skip(5_000_000);
      out.write(window);
      out.end();
      const text = got.map((g) => g.text).join('');
      expect(text, `${cutInside} characters kept`).toBe(`[REDACTED:TOKEN]${after}`);
      expect(got.reduce((n, g) => n + g.dropped, 0)).toBeGreaterThan(5_000_000);
    }
  });
});
