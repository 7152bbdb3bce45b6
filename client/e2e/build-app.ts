// Builds the PWA into client/dist as users get it (a production build), unless the one there is such
// a build and newer than every source. Vitest globalSetup of the e2e project; the bench calls it too.
//
// Under vitest NODE_ENV is 'test', and Vite bundles what libraries keep for development when
// NODE_ENV is not 'production' (26 KB more in the first chunk, 6 KB gzipped): the e2e tests and the
// bench then ran another app than users get. So the build runs with NODE_ENV=production, and a stamp
// records which build of client/dist this was: one made otherwise (a `vite build` under another
// NODE_ENV) is made again.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SOURCES = [
  'client/src',
  'client/public',
  'client/index.html',
  'vite.config.ts',
  'shared/src',
  'package-lock.json',
];
const BUILT = join(ROOT, 'client/dist/sw.js');
/** Outside client/dist (which the server serves): the sw.js time of the last production build made here. */
const STAMP = join(ROOT, 'node_modules/.cache/openviber/production-build.json');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function stampedBuild(): number {
  try {
    return (JSON.parse(readFileSync(STAMP, 'utf8')) as { builtAt?: number }).builtAt ?? 0;
  } catch {
    return 0;
  }
}

export default async function buildApp(): Promise<void> {
  const sourceTime = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (existsSync(BUILT)) {
    const builtAt = statSync(BUILT).mtimeMs;
    if (builtAt > sourceTime && builtAt === stampedBuild()) return;
  }
  const { build } = await import('vite');
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, JSON.stringify({ builtAt: statSync(BUILT).mtimeMs }));
}
