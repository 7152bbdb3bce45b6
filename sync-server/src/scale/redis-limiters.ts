// Throttle counters in Redis, so every server process spends from the same budget (N processes must
// not give N times the guesses). While Redis is unreachable, each process falls back to its own
// in-memory counters (rate-limiter-flexible's insurance limiter) instead of refusing every login.
import { Redis as IORedis, type RedisOptions } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../auth/login-throttle.ts';
import { redisConnection } from './redis-extension.ts';

export function redisLimiters(
  url: string,
  prefix = 'openviber',
): { limiters: LimiterFactory; close(): void } {
  const { host, port, options } = redisConnection(url);
  // Fail fast while Redis is away (the insurance limiter answers) instead of queueing commands.
  // (The options type comes from the extension's own ioredis copy; the fields are the same.)
  const client = new IORedis({
    host,
    port,
    ...(options as RedisOptions),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {}); // the Redis extension reports outages once; this client just falls back.
  return {
    limiters: (spec) =>
      new RateLimiterRedis({
        ...spec,
        keyPrefix: `${prefix}:${spec.keyPrefix}`,
        storeClient: client,
        insuranceLimiter: new RateLimiterMemory(spec),
      }),
    close: () => client.disconnect(),
  };
}
