// Wires one server process: storage, auth, Hocuspocus at /sync, the HTTP API and the static app.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { Extension } from '@hocuspocus/server';
import { accountRoutes } from './api/account-routes.ts';
import { authRoutes } from './api/auth-routes.ts';
import { bindingRoutes } from './api/binding-routes.ts';
import { environmentRoutes } from './api/environment-routes.ts';
import type { Services } from './api/api-context.ts';
import { taskRoutes } from './api/task-routes.ts';
import { viberRoutes } from './api/viber-routes.ts';
import { AuthService } from './auth/auth-service.ts';
import type { LimiterFactory, LoginThrottle } from './auth/login-throttle.ts';
import { Claims } from './api/claims.ts';
import type { ServerConfig } from './config.ts';
import { createRequestHandler } from './http/handle-request.ts';
import { clientAddressOf, normalizeAddress } from './http/client-address.ts';
import { HTTP_RETRY_AFTER_SECONDS, HttpConnections } from './http/http-connections.ts';
import { refuseSocket } from './http/refuse-socket.ts';
import { Router } from './http/router.ts';
import { staticFiles } from './http/static-files.ts';
import type { Storage } from './storage/storage.ts';
import {
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_REQUEST_TIMEOUT_MS,
  HTTP_TIMEOUT_CHECK_INTERVAL_MS,
} from './limits.ts';
import { createSyncServer } from './sync/create-sync.ts';
import type { RefusalLog } from './sync/refusal-log.ts';

export interface AppOptions {
  config: ServerConfig;
  storage: Storage;
  extensions?: Extension[];
  /** Login and signup throttle (default: in memory, this process only). */
  throttle?: LoginThrottle;
  /** Where cross-process API claims live (api/claims.ts; default: in memory, this process only). */
  limiters?: LimiterFactory;
  log?: (msg: string) => void;
}

/**
 * Connections the kernel holds for accept(). Node's default, 511, overflowed in a reconnect storm:
 * every client of a restarted server connects within milliseconds while the new process is still
 * warming up, and each connection dropped then waits for its SYN to be sent again (1 s, then 3 s;
 * bench/ANALYSIS.md). Linux caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/**
 * Hocuspocus creates its HTTP server without options; this one takes over its request and upgrade
 * listeners with our timeouts, checked every second (Node's default interval, 30 s, let a client
 * trickling headers hold its socket up to 30 s past HTTP_HEADERS_TIMEOUT_MS), and counts its plain
 * HTTP connections ([S18]): one over the limit is answered at once and closed.
 */
function withLimits(
  hocuspocusServer: { httpServer: ReturnType<typeof createServer> },
  connections: HttpConnections,
  refusals: RefusalLog,
): void {
  const server = createServer({
    headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: HTTP_TIMEOUT_CHECK_INTERVAL_MS,
  });
  server.prependListener('connection', (socket: Socket) => {
    const refusal = connections.admit(socket);
    if (!refusal) return;
    // Answered and closed before the parser reads a byte: its request reaches no handler.
    refuseSocket(socket, refusal, HTTP_RETRY_AFTER_SECONDS);
    refusals.refused(normalizeAddress(socket.remoteAddress ?? ''), refusal.message);
  });
  // From its upgrade on, a websocket is counted by the websocket limits ([S15], [S16]).
  server.on('upgrade', (request: IncomingMessage) => connections.release(request.socket));
  for (const event of ['request', 'upgrade'] as const)
    for (const listener of hocuspocusServer.httpServer.listeners(event))
      server.on(event, listener as (...args: unknown[]) => void);
  // Hocuspocus listens with { port, host } alone: the backlog is added here.
  const listen = server.listen.bind(server) as (options: ListenOptions, callback?: () => void) => unknown;
  server.listen = ((options: ListenOptions, callback?: () => void) =>
    listen({ ...options, backlog: LISTEN_BACKLOG }, callback)) as typeof server.listen;
  hocuspocusServer.httpServer = server;
}

export function createApp({
  config,
  storage,
  extensions,
  throttle,
  limiters,
  log = (m) => console.error(m),
}: AppOptions) {
  const auth = new AuthService(storage, throttle);
  const router = new Router();
  const serveStatic = staticFiles(config.appDir, config.daemonPackage);
  let handle: ReturnType<typeof createRequestHandler> = async () => {};

  const sync = createSyncServer({
    auth,
    storage,
    extensions,
    limits: config,
    log,
    async onRequest({ request, response }) {
      await handle(request, response);
      // Tells Hocuspocus the request was answered, so its default handler does not run.
      throw null;
    },
  });

  const trusted = new Set(config.trustedProxies.map(normalizeAddress));
  const publicUrl = (req: IncomingMessage) => {
    if (config.publicUrl) return config.publicUrl;
    const host = req.headers.host;
    // Behind a trusted proxy that terminates TLS, the command the user runs (which fetches and runs
    // the Viber's package, and sends its onboarding token) must say https, not what reached us.
    const proto = trusted.has(normalizeAddress(req.socket.remoteAddress ?? ''))
      ? String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]!
          .trim()
      : '';
    const scheme = proto === 'https' ? 'https' : 'http';
    return host && /^[A-Za-z0-9.:\-[\]]+$/.test(host)
      ? `${scheme}://${host}`
      : `http://${config.host}:${config.port}`;
  };
  const services: Services = {
    storage,
    auth,
    docs: sync.apiDocs,
    deletions: sync.deletions,
    presence: sync.presence,
    closeConnections: sync.closeConnections,
    publicUrl,
    clientAddress: clientAddressOf(config.trustedProxies),
    claims: new Claims(limiters),
  };
  for (const routes of [authRoutes, accountRoutes, environmentRoutes, bindingRoutes, taskRoutes, viberRoutes])
    routes(router, services);
  handle = createRequestHandler(router, serveStatic, log);

  return {
    hocuspocus: sync.hocuspocus,
    async listen(): Promise<number> {
      sync.server.configuration.address = config.host;
      // Set directly: listen(0) would fall back to Hocuspocus's default port 80.
      sync.server.configuration.port = config.port;
      // Slow clients must not hold sockets open: headers within 10 s, the whole request within 30 s;
      // nor many at once.
      withLimits(
        sync.server,
        new HttpConnections({
          perAddress: config.httpConnectionsPerAddress,
          overall: config.httpConnections,
        }),
        sync.refusals,
      );
      await sync.server.listen();
      return (sync.server.httpServer.address() as AddressInfo).port;
    },
    /** Closes connections, flushes pending stores, then closes storage. */
    async close(): Promise<void> {
      // The API's held documents first: Server.destroy waits until every document is unloaded.
      sync.stopRechecks();
      await sync.gateway.close();
      await sync.server.destroy();
      await storage.close();
    },
  };
}
