// Vitest globalSetup of the e2e project: builds the PWA into client/dist unless it is newer than every source.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export default async function buildApp(): Promise<void> {
  const built = join(ROOT, 'client/dist/sw.js');
  const sourceTime = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (existsSync(built) && statSync(built).mtimeMs > sourceTime) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
