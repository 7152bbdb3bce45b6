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
    const tests = FOLDERS.flatMap((f) => testFiles(join(ROOT, f))).map((file) => readFileSync(file, 'utf8'));
    const uncited = ids.filter((id) => !tests.some((text) => text.includes(`[${id}]`)));
    expect(uncited, 'rules no test cites').toEqual([]);
  });
});
