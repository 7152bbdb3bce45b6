// Extra Hocuspocus extensions for running several processes: Redis fan-out when REDIS_URL is set.
import type { Extension } from '@hocuspocus/server';
import type { ServerConfig } from '../config.ts';

export async function createExtensions(config: ServerConfig): Promise<Extension[]> {
  if (!config.redisUrl) return [];
  const { redisExtension } = await import('./redis-extension.ts');
  return [redisExtension(config.redisUrl)];
}
