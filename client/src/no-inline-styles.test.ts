// Looks live in styles.css under names: a static `style="…"` in a component is a look nobody can find
// or reuse. `style` stays only for values computed at runtime (a width from data, a CSS variable per
// item), with a one-line comment saying so.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;

/** Files whose inline styles are still to go, each with the reason it is allowed for now. */
const NOT_YET: Record<string, string> = {};

/** `style="…"`, `style='…'`, `style={'…'}` and a template literal with nothing interpolated. */
const STATIC_STYLE = /(?<![\w-])style=(?:"[^"]*"|'[^']*'|\{\s*(?:"[^"]*"|'[^']*'|`[^`$]*`)\s*\})/g;

/** Every line of a .tsx source with a static inline style, as `line: text`. */
function staticStyles(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC_STYLE)) {
    const line = source.slice(0, match.index).split('\n').length;
    found.push(`${line}: ${match[0]}`);
  }
  return found;
}

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsxFiles(path);
    return entry.name.endsWith('.tsx') ? [path] : [];
  });
}

describe('inline styles', () => {
  it('no component has a static style="…" (name it in styles.css instead)', () => {
    const offenders = tsxFiles(SRC)
      .filter((path) => !(relative(SRC, path) in NOT_YET))
      .flatMap((path) =>
        staticStyles(readFileSync(path, 'utf8')).map((hit) => `${relative(SRC, path)}:${hit}`),
      );
    expect(offenders).toEqual([]);
  });

  it('finds every static form and lets a computed value through', () => {
    const source = [
      '<div style="margin:0">',
      "<div style='margin:0'>",
      '<div style={"margin:0"}>',
      '<div style={`margin:0`}>',
      '<div style={`width:${pct}%`}>',
      '<div style={{ width: `${pct}%` }}>',
      '<div data-style="x">',
    ].join('\n');
    expect(staticStyles(source)).toEqual([
      '1: style="margin:0"',
      "2: style='margin:0'",
      '3: style={"margin:0"}',
      '4: style={`margin:0`}',
    ]);
  });
});
