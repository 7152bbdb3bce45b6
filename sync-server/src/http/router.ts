// A minimal method + path router: a handful of fixed patterns with :params does not need a framework.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}
/** A handler returns the JSON body (status 200) or `{ status, body }`. */
export type Handler = (ctx: RequestContext) => Promise<unknown>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  readonly #routes: Route[] = [];

  on(method: string, path: string, handler: Handler): this {
    this.#routes.push({ method, parts: path.split('/').filter(Boolean), handler });
    return this;
  }

  /**
   * The handler and params for a request; `{ allow }` (the methods the path has) when only the
   * method is wrong (405); null when no route has the path (404).
   */
  match(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | { allow: string[] } | null {
    const parts = pathname.split('/').filter(Boolean);
    const allow = new Set<string>();
    for (const route of this.#routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const fits = route.parts.every((p, i) => {
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeParam(p.slice(1), parts[i]);
          return true;
        }
        return p === parts[i];
      });
      if (!fits) continue;
      if (route.method === method) return { handler: route.handler, params };
      allow.add(route.method);
    }
    return allow.size ? { allow: [...allow].sort() } : null;
  }
}

/** A path parameter, decoded; a malformed %-escape is the caller's mistake (400), not a crash. */
function decodeParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError('validation', `${name}: the path holds a malformed %-escape`, { field: name });
  }
}

/** A response with a status other than 200. */
export const withStatus = (status: number, body: unknown) => ({ [STATUS]: status, body });
export const STATUS = Symbol('status');
