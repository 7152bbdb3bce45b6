// A daemon run from the served package (`npx <server>/viber.tgz`) knows its build id; npx keeps
// running the package it cached for that URL, so at start the daemon asks which build the server
// serves now and, if it differs, says how to update.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface OwnBuild {
  build: string;
  /** The installed package's folder. */
  root: string;
}

/** The packaged daemon's build (its package.json `viberBuild`); undefined when run from a checkout. */
export function ownBuild(): OwnBuild | undefined {
  // From the bundle (dist/viber.js) this is the package's package.json; from src/ it is daemon's, without one.
  const manifest = new URL('../package.json', import.meta.url);
  try {
    const { viberBuild } = JSON.parse(readFileSync(manifest, 'utf8')) as { viberBuild?: unknown };
    if (typeof viberBuild !== 'string') return undefined;
    return { build: viberBuild, root: fileURLToPath(new URL('.', manifest)) };
  } catch {
    return undefined;
  }
}

/** A line saying the server serves another build and how to run it; '' when current or unknown. */
export async function packageUpdateNotice(
  server: string,
  startCommand: string,
  own = ownBuild(),
): Promise<string> {
  if (!own) return '';
  let served: string | null;
  try {
    const res = await fetch(`${server}/viber.tgz`, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    served = res.ok ? res.headers.get('x-viber-build') : null;
  } catch {
    return '';
  }
  if (!served || served === own.build) return '';
  const npxDir = /^(.*[/\\]_npx[/\\][^/\\]+)[/\\]/.exec(own.root)?.[1];
  const clear = npxDir ? `rm -rf ${npxDir}` : 'clear the npm exec cache (~/.npm/_npx)';
  return `the server serves another Viber package (build ${served}; this is ${own.build}): to update, stop this Viber, run ${clear}, then ${startCommand}`;
}
