import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.ts';

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
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOST: 'a b' }, 'HOST'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x', DATABASE_URL: 'postgres://x' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, 'DATABASE_URL'],
  ])('refuses %j naming the variable', (env, name) => {
    expect(() => readConfig(env, '/app')).toThrow(ConfigError);
    expect(() => readConfig(env, '/app')).toThrow(name);
  });
});
