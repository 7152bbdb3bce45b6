// The setup-script check is a real bash parser: correct scripts pass, broken ones are named with their line.
import { parse } from 'sh-syntax';
import { describe, expect, it } from 'vitest';
import { scriptIssues } from './script-check.ts';

const check = (script: string) => scriptIssues(parse, script);

describe('script check (mvdan/sh via sh-syntax)', () => {
  it.each([
    'echo installing; sleep 3; echo done',
    'for i in 1 2 3; do echo "$i"; done',
    'case "$x" in a) echo a;; *) echo other;; esac',
    'cat <<EOF\nif then do\nEOF\necho after',
    'if [[ -f package.json ]]; then npm ci; fi',
    'echo "done"; echo fi; echo esac',
    'f() { echo "$(( 1 + 2 ))"; }\nf',
  ])('accepts correct bash: %j', async (script) => {
    expect(await check(script)).toEqual([]);
  });

  it.each([
    ['echo ok\necho "unclosed', 2, /without closing quote/],
    ['if true; then\n  echo x\n', 1, /must end with ‘fi’/],
    ['echo a\necho b\ndone', 3, /‘done’/],
    ['for i in 1 2; do\n echo $i\n', 1, /must end with ‘done’/],
  ])('names what is broken and where: %j', async (script, line, message) => {
    const issues = await check(script);
    expect(issues).toHaveLength(1);
    expect(issues[0].line).toBe(line);
    expect(issues[0].message).toMatch(message);
    expect(issues[0].message).not.toMatch(/`|EOF/);
  });
});
