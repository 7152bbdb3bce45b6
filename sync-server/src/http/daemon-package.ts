// GET /viber.tgz: the daemon as an npm package tarball (built by `npm run build`, daemon/scripts/pack.ts),
// so the onboarding command needs only Node and git: `npx --yes <server>/viber.tgz onboard …`.
// Revalidated on every use (no-cache + a content ETag): after an upgrade npx gets the new daemon,
// and otherwise a 304 costs nothing.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DAEMON_PACKAGE_PATH = '/viber.tgz';

interface Loaded {
  mtimeMs: number;
  size: number;
  bytes: Buffer;
  etag: string;
  /** From `<file>.build` (daemon/scripts/pack.ts): a packaged daemon compares it with its own. */
  build: string;
}

function readBuild(file: string): string {
  try {
    const build = readFileSync(`${file}.build`, 'utf8').trim();
    return /^[0-9a-f]{1,64}$/.test(build) ? build : '';
  } catch {
    return '';
  }
}

/** Serves the tarball at `file`, re-read when it changes on disk; 404 with a hint while it is not built. */
export function daemonPackage(file: string) {
  let loaded: Loaded | undefined;
  const load = (): Loaded | undefined => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return undefined;
    }
    if (loaded && loaded.mtimeMs === stat.mtimeMs && loaded.size === stat.size) return loaded;
    const bytes = readFileSync(file);
    const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
    loaded = { mtimeMs: stat.mtimeMs, size: stat.size, bytes, etag, build: readBuild(file) };
    return loaded;
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('GET or HEAD only\n');
      return;
    }
    const pkg = load();
    if (!pkg) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `The Viber package is not built (no ${file || 'path configured'}). Run "npm run build", or start with "npm start".\n`,
      );
      return;
    }
    const headers = {
      etag: pkg.etag,
      'cache-control': 'no-cache',
      ...(pkg.build ? { 'x-viber-build': pkg.build } : {}),
    };
    if (req.headers['if-none-match'] === pkg.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'application/gzip',
      'content-length': String(pkg.bytes.length),
      'content-disposition': 'attachment; filename="viber.tgz"',
    });
    res.end(req.method === 'HEAD' ? undefined : pkg.bytes);
  };
}
