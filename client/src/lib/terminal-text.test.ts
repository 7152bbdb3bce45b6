import { describe, expect, it } from 'vitest';
import { terminalText } from './terminal-text.ts';

describe('run output shown as a terminal shows it', () => {
  it('keeps the last redraw of a progress line, drops colour and title sequences, keeps CRLF lines and plain text', () => {
    expect(terminalText('progress  10%\rprogress  50%\rprogress 100%\ndone\n')).toBe('progress 100%\ndone\n');
    expect(terminalText('\u001b[32mPASS\u001b[0m test\u001b[1;31m 2 failed\u001b[0m')).toBe(
      'PASS test 2 failed',
    );
    expect(terminalText('\u001b]0;title\u0007ok \u001b]8;;https://x\u001b\\link\u001b]8;;\u001b\\')).toBe(
      'ok link',
    );
    expect(terminalText('line one\r\nline two\r\n')).toBe('line one\nline two\n');
    const plain = 'échec: 日本語 ✓\n\ttabbed';
    expect(terminalText(plain)).toBe(plain);
  });
});
