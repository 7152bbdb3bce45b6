import { describe, expect, it } from 'vitest';
import { fromLineStart } from './follow-end.ts';

describe('trimmed output', () => {
  it('starts at a line boundary once earlier output was dropped', () => {
    expect(fromLineStart('ing 41\nline 42\nline 43', true)).toBe('line 42\nline 43');
    expect(fromLineStart('ing 41\nline 42', false)).toBe('ing 41\nline 42');
    expect(fromLineStart('one long line without a newline', true)).toBe('one long line without a newline');
  });
});
