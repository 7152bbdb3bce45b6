// The Viber's config file, $VIBER_HOME/config.json (mode 0600): server, credentials and key pair.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { validate } from '@openviber/shared';
import { viberConfigSchema, type ViberConfig } from '@openviber/shared/viber-config';
import { replaceFile } from './durable-file.ts';
import { ViberError } from './viber-error.ts';

export type { ViberConfig };

/** $VIBER_HOME, default ~/.openviber. */
export const viberHome = (env: NodeJS.ProcessEnv = process.env) =>
  env.VIBER_HOME || join(homedir(), '.openviber');
export const configPath = (home: string) => join(home, 'config.json');
/** Clones and worktrees live under here; working dirs must stay inside unless a binding uses an existing path. */
export const workspaceRoot = (home: string) => join(home, 'workspaces');
/** Small per-binding state (what setup last ran for), kept outside the checkouts. */
export const stateDir = (home: string) => join(home, 'state');

/** Reads and validates the config; a missing or corrupt file gets an error naming the file and field. */
export function readConfig(home: string): ViberConfig {
  const path = configPath(home);
  if (!existsSync(path)) {
    throw new ViberError(
      'not_onboarded',
      `no config at ${path}; run \`viber onboard --server <url> --token <token>\` first`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ViberError('config_invalid', `${path} is not valid JSON`, { cause });
  }
  const result = validate(viberConfigSchema, raw);
  if (!result.ok) throw new ViberError('config_invalid', `${path} is invalid: ${result.error.message}`);
  return result.value;
}

/** Writes the config atomically with mode 0600 (it holds the private key). */
export function writeConfig(home: string, config: ViberConfig): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  replaceFile(configPath(home), JSON.stringify(config, null, 2) + '\n');
}
