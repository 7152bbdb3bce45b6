// Serves the built PWA (client/dist) with an SPA fallback; the service worker and index are never cached.
// /viber.tgz is the daemon's package, never the app's index (npx must get a tarball or a 404).
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import { DAEMON_PACKAGE_PATH, daemonPackage } from './daemon-package.ts';

const NO_CACHE = new Set(['/sw.js', '/index.html', '/manifest.webmanifest', '/registerSW.js']);

export function staticFiles(dir: string, packageFile = '') {
  const servePackage = daemonPackage(packageFile);
  const serveApp = appFiles(dir);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname === DAEMON_PACKAGE_PATH) servePackage(req, res);
    else serveApp(req, res);
  };
}

function appFiles(dir: string) {
  if (!existsSync(dir)) {
    return (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The web app is not built (no ${dir}). Run "npm run build", or start with "npm start".\n`);
    };
  }
  const serve = sirv(dir, {
    single: true,
    etag: true,
    setHeaders(res, pathname) {
      if (NO_CACHE.has(pathname)) res.setHeader('cache-control', 'no-cache');
      else if (pathname.startsWith('/assets/'))
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  return (req: IncomingMessage, res: ServerResponse) =>
    serve(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
}
