// replaceFile: the one atomic, durable replacement of the daemon's state files.
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceFile } from './durable-file.ts';

describe('replaceFile', () => {
  it('replaces the content whole, mode 0600, leaving no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viber-durable-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    replaceFile(file, JSON.stringify({ a: 1 }));
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a temp file a crash left behind (world-readable, longer) neither leaks its mode nor its tail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viber-durable-'));
    const file = join(dir, 'config.json');
    writeFileSync(`${file}.${process.pid}.tmp`, 'x'.repeat(1000), { mode: 0o644 });
    replaceFile(file, new Uint8Array([1, 2, 3]), { durable: false });
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
