// Every rule of SPEC.md is cited by at least one test (CONVENTIONS: a test and a rule that disagree
// means one of them is wrong — a rule no test cites is one nobody checks).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FOLDERS = ['shared', 'sync-server', 'daemon', 'client'];
const TEST_FILE = /\.(test|acceptance)\.tsx?$/;
const SKIP = new Set(['node_modules', 'dist', '.git']);

/** The rule ids SPEC.md defines (`- **[S1]** …`). */
function specRuleIds(spec: string): string[] {
  return [...spec.matchAll(/^- \*\*\[([A-Z]\d+)\]\*\*/gm)].map((m) => m[1]!);
}

/**
 * The names given to `describe`, `it` and `test` (with modifiers such as `.each`, `.skipIf(…)`),
 * as written: quoted or template strings; a rule id in a comment or an assertion is not a citation.
 */
function testNames(source: string): string[] {
  const call =
    /\b(?:describe|it|test)\b(?:\s*\.\s*\w+(?:\([^()]*\))?)*\s*\(\s*(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1/g;
  return [...source.matchAll(call)].map((m) => m[2]!);
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return TEST_FILE.test(entry.name) ? [path] : [];
  });
}

describe('SPEC rules', () => {
  it('every rule id in shared/SPEC.md is cited as [ID] by a test', () => {
    const ids = specRuleIds(readFileSync(join(ROOT, 'shared', 'SPEC.md'), 'utf8'));
    expect(ids.length).toBeGreaterThan(40);
    expect(new Set(ids).size, 'rule ids are unique').toBe(ids.length);
    const names = FOLDERS.flatMap((f) => testFiles(join(ROOT, f))).flatMap((file) =>
      testNames(readFileSync(file, 'utf8')),
    );
    const uncited = ids.filter((id) => !names.some((name) => name.includes(`[${id}]`)));
    expect(uncited, 'rules no test or describe name cites').toEqual([]);
  });

  it('counts only ids in test and describe names, not in comments or assertions', () => {
    const source = [
      '// [S1] only a comment',
      "describe('[S2] a suite', () => {",
      '  it.skipIf(!ok)(`[S3] a ${kind} test`, () => {',
      "    expect(x, '[S4] a message').toBe(1);",
      '  });',
      '  it(',
      "    '[S5] a test whose name is on the next line',",
      '    () => {},',
      '  );',
      "  test.each([1])('[S6] %s', () => {});",
      '});',
    ].join('\n');
    expect(testNames(source).join(' ')).toBe(
      '[S2] a suite [S3] a ${kind} test [S5] a test whose name is on the next line [S6] %s',
    );
  });
});
