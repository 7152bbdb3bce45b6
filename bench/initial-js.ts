// The web app's initial JavaScript: the scripts and module preloads index.html loads before first
// paint, plus the chunks they import statically (the browser fetches those before running them),
// gzipped with node:zlib and summed. Chunks loaded with import() later are not counted.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DIST = resolve(fileURLToPath(import.meta.url), '../../client/dist');

export interface InitialJs {
  files: string[];
  rawBytes: number;
  gzipBytes: number;
}

const STATIC_IMPORT = /(?:^|[;}\s])import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+\.js)["']/g;
const EXPORT_FROM = /export\s*(?:\*|\{[^}]*\})\s*from\s*["']([^"']+\.js)["']/g;

/** Null when the client has not been built (client/dist/index.html missing). */
export function initialJs(dist = DIST): InitialJs | null {
  const indexHtml = join(dist, 'index.html');
  if (!existsSync(indexHtml)) return null;
  const html = readFileSync(indexHtml, 'utf8');
  const entries = [
    ...[...html.matchAll(/<script\b([^>]*)\bsrc="([^"]+\.js)"[^>]*>/g)]
      .filter((m) => !/\b(async|defer)\b/.test(m[1]) || /type="module"/.test(m[1]))
      .map((m) => m[2]),
    ...[...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]),
  ].map((src) => join(dist, src.replace(/^\//, '')));
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of [...code.matchAll(STATIC_IMPORT), ...code.matchAll(EXPORT_FROM)]) {
      if (m[1].startsWith('.') || m[1].startsWith('/'))
        visit(m[1].startsWith('/') ? join(dist, m[1]) : join(dirname(file), m[1]));
    }
  };
  entries.forEach(visit);
  const files = [...seen];
  const bodies = files.map((f) => readFileSync(f));
  return {
    files: files.map((f) => f.slice(dist.length + 1)),
    rawBytes: bodies.reduce((s, b) => s + b.length, 0),
    gzipBytes: bodies.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0),
  };
}
