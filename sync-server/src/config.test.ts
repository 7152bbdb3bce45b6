import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.ts';
import {
  MAX_BYTES_PER_USER,
  MAX_DOCS_PER_CONNECTION,
  MAX_DOCS_PER_USER,
  MAX_HTTP_CONNECTIONS,
  MAX_HTTP_CONNECTIONS_PER_ADDRESS,
  MAX_SOCKETS_PER_USER,
  SYNC_ITEMS_PER_MINUTE,
  MAX_UNAUTHENTICATED_SOCKETS,
  MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
  SIGNUPS_PER_ADDRESS,
} from './limits.ts';

describe('server configuration', () => {
  it('uses the embedded defaults', () => {
    const c = readConfig({}, '/app');
    expect(c).toMatchObject({ port: 4321, host: '127.0.0.1', databaseUrl: undefined, redisUrl: undefined });
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });
  it('honours PORT, HOST and DATA_DIR', () => {
    expect(readConfig({ PORT: '0', HOST: '0.0.0.0', DATA_DIR: '/tmp/x' }, '/app')).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/tmp/x',
    });
  });
  it('takes the limits from limits.ts unless the environment overrides them', () => {
    expect(readConfig({}, '/app')).toMatchObject({
      signupsPerHour: SIGNUPS_PER_ADDRESS,
      documentsPerConnection: MAX_DOCS_PER_CONNECTION,
      documentsPerUser: MAX_DOCS_PER_USER,
      bytesPerUser: MAX_BYTES_PER_USER,
      unauthenticatedSocketsPerAddress: MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS,
      unauthenticatedSockets: MAX_UNAUTHENTICATED_SOCKETS,
      socketsPerUser: MAX_SOCKETS_PER_USER,
      syncItemsPerMinute: SYNC_ITEMS_PER_MINUTE,
      httpConnectionsPerAddress: MAX_HTTP_CONNECTIONS_PER_ADDRESS,
      httpConnections: MAX_HTTP_CONNECTIONS,
    });
    expect(readConfig({ TRUSTED_PROXIES: ' 10.0.0.2, ::1 ,' }, '/app').trustedProxies).toEqual([
      '10.0.0.2',
      '::1',
    ]);
    expect(readConfig({}, '/app').trustedProxies).toEqual([]);
    expect(readConfig({ MAX_BYTES_PER_USER: '1048576', SIGNUPS_PER_HOUR: '3' }, '/app')).toMatchObject({
      bytesPerUser: 1048576,
      signupsPerHour: 3,
    });
  });
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOST: 'a b' }, 'HOST'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x', DATABASE_URL: 'postgres://x' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, 'DATABASE_URL'],
    [{ MAX_BYTES_PER_USER: '-1' }, 'MAX_BYTES_PER_USER'],
    [{ MAX_DOCS_PER_USER: '1e400' }, 'MAX_DOCS_PER_USER'],
    [{ MAX_DOCS_PER_CONNECTION: '2.5' }, 'MAX_DOCS_PER_CONNECTION'],
    [{ SIGNUPS_PER_HOUR: 'lots' }, 'SIGNUPS_PER_HOUR'],
    [{ MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '0' }, 'MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS'],
    [{ MAX_SOCKETS_PER_USER: 'many' }, 'MAX_SOCKETS_PER_USER'],
    [{ MAX_HTTP_CONNECTIONS_PER_ADDRESS: '0' }, 'MAX_HTTP_CONNECTIONS_PER_ADDRESS'],
    [{ MAX_HTTP_CONNECTIONS: '-5' }, 'MAX_HTTP_CONNECTIONS'],
    [{ TRUSTED_PROXIES: 'proxy.internal' }, 'TRUSTED_PROXIES'],
    [{ TRUSTED_PROXIES: '10.0.0.0/8' }, 'TRUSTED_PROXIES'],
  ])('refuses %j naming the variable', (env, name) => {
    expect(() => readConfig(env, '/app')).toThrow(ConfigError);
    expect(() => readConfig(env, '/app')).toThrow(name);
  });
});
