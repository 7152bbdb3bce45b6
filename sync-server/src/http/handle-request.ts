// Dispatches one HTTP request: /api/* to the router (JSON, errors as { error: { code, message } }),
// everything else to the static app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, SCHEMA_VERSION, VERSION } from '@openviber/shared';
import { isStoreUnavailable } from '../storage/store-unavailable.ts';
import { HttpError, storeUnavailable } from './http-error.ts';
import { QuotaError } from '../sync/user-quota.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { STATUS, type Router } from './router.ts';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** 405 with `Allow`: the path exists, the method does not (RFC 9110 §15.5.6). */
function methodNotAllowed(method: string | undefined, pathname: string, allow: string[]): never {
  throw new HttpError(
    'methodNotAllowed',
    `${method} is not supported on ${pathname}; use ${allow.join(' or ')}`,
    {
      field: 'method',
      headers: { allow: allow.join(', ') },
    },
  );
}

export function createRequestHandler(
  router: Router,
  serveStatic: (req: IncomingMessage, res: ServerResponse) => void,
  log: (msg: string) => void,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res);
    const url = URL.parse(req.url ?? '/', 'http://localhost');
    if (!url)
      return sendJson(res, 400, {
        error: { code: ApiError.validation.code, message: 'the request URL is malformed', field: 'path' },
      });
    if (!url.pathname.startsWith('/api/') && url.pathname !== '/api') {
      serveStatic(req, res);
      return;
    }
    try {
      if (url.pathname === '/api/health')
        return req.method === 'GET'
          ? sendJson(res, 200, { ok: true, version: VERSION, schemaVersion: SCHEMA_VERSION })
          : methodNotAllowed(req.method, url.pathname, ['GET']);
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match === null) throw new HttpError('notFound', `no route ${req.method} ${url.pathname}`);
      if ('allow' in match) methodNotAllowed(req.method, url.pathname, match.allow);
      const result = await match.handler({ req, res, params: match.params, query: url.searchParams });
      if (result && typeof result === 'object' && STATUS in result) {
        const { [STATUS]: status, body } = result as { [STATUS]: number; body: unknown };
        sendJson(res, status, body);
      } else sendJson(res, 200, result);
    } catch (thrown) {
      if (res.headersSent) return void res.end();
      // [P2] A store that is down or busy is "retry", never "bug".
      const error = isStoreUnavailable(thrown)
        ? storeUnavailable(thrown)
        : thrown instanceof QuotaError
          ? new HttpError('quota', thrown.message)
          : thrown;
      if (error instanceof HttpError) {
        const body = {
          error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
        };
        sendJson(res, error.status, body, error.headers);
        // The rest of a refused or stalled body is not worth reading: close once the answer is out.
        if (error.kind === 'tooLarge' || error.kind === 'timeout') req.socket.destroySoon?.();
        return;
      }
      log(`internal error on ${req.method} ${url.pathname}: ${(error as Error)?.stack ?? String(error)}`);
      sendJson(res, 500, { error: { code: ApiError.internal.code, message: 'internal error' } });
    }
  };
}
