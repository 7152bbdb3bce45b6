// Entry point: `node --max-semi-space-size=8 --heap-growing-percent=200 sync-server/src/main.ts`
// (npm start; why the flags: SERVER_NODE_FLAGS in testing/spawn-server.ts). Reads PORT, HOST,
// DATA_DIR (and DATABASE_URL, REDIS_URL for scale-out), listens, and on SIGINT/SIGTERM flushes
// stores and exits.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { ConfigError, readConfig } from './config.ts';
import { createExtensions } from './scale/create-extensions.ts';
import { createStorage } from './storage/create-storage.ts';
import { DatabaseNewerThanCodeError } from './storage/migrations.ts';

const APP_DIR = resolve(fileURLToPath(import.meta.url), '../../../client/dist');
const DAEMON_PACKAGE = resolve(fileURLToPath(import.meta.url), '../../../daemon/dist/viber.tgz');

async function main() {
  const config = readConfig(process.env, APP_DIR, DAEMON_PACKAGE);
  const storage = await createStorage(config);
  const shared = config.redisUrl
    ? (await import('./scale/redis-limiters.ts')).redisLimiters(config.redisUrl)
    : undefined;
  const throttle = new LoginThrottle({
    limiters: shared?.limiters,
    signupsPerHour: config.signupsPerHour,
    failuresPerAddress: config.loginFailuresPerAddress,
  });
  const app = createApp({
    config,
    storage,
    throttle,
    limiters: shared?.limiters,
    extensions: await createExtensions(config),
  });
  const port = await app.listen();
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(
    `openviber sync-server listening on http://${host}:${port} (storage: ${storage.kind}, data: ${config.databaseUrl ? 'postgres' : config.dataDir})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (config.logLevel === 'info') console.log(`${signal}: flushing pending stores and stopping`);
    try {
      await app.close();
      shared?.close();
      process.exit(0);
    } catch (error) {
      console.error('error while stopping:', error);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Test harnesses hold our stdin open; when they die (even by SIGKILL) it closes and we stop too.
  if (process.env.OPENVIBER_EXIT_WITH_STDIN === '1') {
    process.stdin.on('end', () => void stop('stdin closed'));
    process.stdin.on('error', () => void stop('stdin closed'));
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  // Errors an operator fixes (configuration, a database newer than this server: [M1]) without a stack.
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else if (error instanceof DatabaseNewerThanCodeError) console.error(`cannot start: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
