// The server's settings, from the environment (design §6): PORT, HOST, DATA_DIR, and for scale-out
// DATABASE_URL and REDIS_URL. Bad values are refused with a message naming the variable.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_HOST, DEFAULT_PORT } from '@openviber/shared';
import {
  LOGIN_FAILURES_PER_ADDRESS,
  MAX_BYTES_PER_USER,
  MAX_LOADED_MEMORY_PER_USER,
  MAX_HTTP_CONNECTIONS,
  MAX_HTTP_CONNECTIONS_PER_ADDRESS,
  MAX_DOCS_PER_CONNECTION,
  MAX_DOCS_PER_USER,
  MAX_SOCKETS_PER_USER,
  SYNC_ITEMS_PER_MINUTE,
  MAX_REFUSED_CHANGES_PER_MINUTE,
  MAX_UNAUTHENTICATED_SOCKETS,
  MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
  SIGNUPS_PER_ADDRESS,
  TOKEN_RECHECK_MS,
} from './limits.ts';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  publicUrl?: string;
  /** Directory of the built web app. */
  appDir: string;
  /** The daemon's npm package tarball, served at /viber.tgz ($VIBER_PACKAGE, default daemon/dist/viber.tgz). */
  daemonPackage?: string;
  logLevel: 'info' | 'warn' | 'silent';
  /** Sign-ups per client address per hour (SIGNUPS_PER_HOUR; benchmarks raise it). */
  signupsPerHour: number;
  /** Failed logins per address per 15 min (LOGIN_FAILURES_PER_ADDRESS; a large NAT may raise it). */
  loginFailuresPerAddress: number;
  /** Quotas (limits.ts), each overridable by the environment variable of the same name. */
  documentsPerConnection: number;
  documentsPerUser: number;
  bytesPerUser: number;
  loadedMemoryPerUser: number;
  /** Websockets waiting to authenticate, per address (behind one proxy or NAT: raise it) and in all. */
  unauthenticatedSocketsPerAddress: number;
  unauthenticatedSockets: number;
  /** Websockets per user at once, and as many for the user's Vibers together. */
  socketsPerUser: number;
  /** Document items encoded for one principal's sync requests per minute (SYNC_ITEMS_PER_MINUTE). */
  syncItemsPerMinute: number;
  /** Changes a limit may refuse to one principal per minute (MAX_REFUSED_CHANGES_PER_MINUTE). */
  refusedChangesPerMinute: number;
  /** Plain HTTP connections at once, per address (behind one proxy or NAT: raise it) and in all. */
  httpConnectionsPerAddress: number;
  httpConnections: number;
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES, comma-separated addresses; [S19]). */
  trustedProxies: string[];
  /** How often every open websocket's token is checked again (TOKEN_RECHECK_MS; tests lower it). */
  tokenRecheckMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function readConfig(env: NodeJS.ProcessEnv, appDir: string, daemonPackage?: string): ServerConfig {
  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number (0-65535), got '${env.PORT}'`);
  const host = env.HOST || DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host))
    throw new ConfigError(`HOST must be a host name or address, got '${host}'`);
  for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
    const value = env[name];
    if (value && !/^(postgres(ql)?|rediss?):\/\//.test(value))
      throw new ConfigError(`${name} must be a postgres:// or redis:// URL`);
  }
  if (env.REDIS_URL && !env.DATABASE_URL) {
    // Each process would keep its own SQLite file: a user signed up on one would be unknown on another.
    throw new ConfigError(
      'REDIS_URL needs DATABASE_URL: several processes must share one PostgreSQL database',
    );
  }
  if (env.PUBLIC_URL && !/^https?:\/\/[^\s]+$/.test(env.PUBLIC_URL))
    throw new ConfigError('PUBLIC_URL must be an http(s) URL');
  const positive = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new ConfigError(`${name} must be a positive whole number, got '${raw}'`);
    return n;
  };
  const trustedProxies = (env.TRUSTED_PROXIES ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const address of trustedProxies)
    if (!isIP(address))
      throw new ConfigError(
        `TRUSTED_PROXIES must be IP addresses separated by commas, got '${address}' (no names or ranges)`,
      );
  const logLevel = env.LOG_LEVEL === 'warn' || env.LOG_LEVEL === 'silent' ? env.LOG_LEVEL : 'info';
  return {
    port,
    host,
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    publicUrl: env.PUBLIC_URL?.replace(/\/$/, '') || undefined,
    appDir,
    daemonPackage: env.VIBER_PACKAGE ? resolve(env.VIBER_PACKAGE) : daemonPackage,
    logLevel,
    signupsPerHour: positive('SIGNUPS_PER_HOUR', SIGNUPS_PER_ADDRESS),
    loginFailuresPerAddress: positive('LOGIN_FAILURES_PER_ADDRESS', LOGIN_FAILURES_PER_ADDRESS),
    documentsPerConnection: positive('MAX_DOCS_PER_CONNECTION', MAX_DOCS_PER_CONNECTION),
    documentsPerUser: positive('MAX_DOCS_PER_USER', MAX_DOCS_PER_USER),
    bytesPerUser: positive('MAX_BYTES_PER_USER', MAX_BYTES_PER_USER),
    loadedMemoryPerUser: positive('MAX_LOADED_MEMORY_PER_USER', MAX_LOADED_MEMORY_PER_USER),
    unauthenticatedSocketsPerAddress: positive(
      'MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS',
      MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
    ),
    unauthenticatedSockets: positive('MAX_UNAUTHENTICATED_SOCKETS', MAX_UNAUTHENTICATED_SOCKETS),
    socketsPerUser: positive('MAX_SOCKETS_PER_USER', MAX_SOCKETS_PER_USER),
    syncItemsPerMinute: positive('SYNC_ITEMS_PER_MINUTE', SYNC_ITEMS_PER_MINUTE),
    refusedChangesPerMinute: positive('MAX_REFUSED_CHANGES_PER_MINUTE', MAX_REFUSED_CHANGES_PER_MINUTE),
    httpConnectionsPerAddress: positive('MAX_HTTP_CONNECTIONS_PER_ADDRESS', MAX_HTTP_CONNECTIONS_PER_ADDRESS),
    httpConnections: positive('MAX_HTTP_CONNECTIONS', MAX_HTTP_CONNECTIONS),
    trustedProxies,
    tokenRecheckMs: positive('TOKEN_RECHECK_MS', TOKEN_RECHECK_MS),
  };
}
