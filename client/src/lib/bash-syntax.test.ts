import { describe, expect, it } from 'vitest';
import { checkBashSyntax } from './bash-syntax.ts';

describe('checkBashSyntax', () => {
  it('accepts ordinary setup scripts', () => {
    const script = [
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      'if [ -f package-lock.json ]; then',
      "  npm ci # it's fine",
      'fi',
      'for f in a b; do echo "$f ${HOME}"; done',
      'case "$1" in',
      '  a) echo a ;;',
      '  *) echo other ;;',
      'esac',
      'f() { echo "$(pwd)"; }',
      "cat <<'EOF'",
      "unbalanced ' here is fine",
      'EOF',
    ].join('\n');
    expect(checkBashSyntax(script)).toEqual([]);
  });

  it('finds unterminated quotes, missing fi and done, stray closers', () => {
    expect(checkBashSyntax('echo "hello')[0]).toMatchObject({
      line: 1,
      message: 'unterminated double quote',
    });
    expect(checkBashSyntax('if true; then\n  echo x\n')[0].message).toContain("'if' is never closed by 'fi'");
    expect(checkBashSyntax('for x in 1; do\necho\n')[0].message).toContain("'do' is never closed by 'done'");
    expect(checkBashSyntax('echo\nfi')[0]).toMatchObject({
      line: 2,
      message: "'fi' without a matching 'if'",
    });
    expect(checkBashSyntax('f() {\n echo')[0].message).toContain("'{' is never closed");
  });
});
