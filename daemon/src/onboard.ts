// `viber onboard`: generate the key pair, register through POST /api/vibers/onboard, save the config.
import { hostname } from 'node:os';
import { generateKeyPair, keyFingerprint } from '@openviber/shared/crypto';
import { writeConfig, type ViberConfig } from './config.ts';
import { checkServer } from './server-check.ts';
import { ViberError } from './viber-error.ts';

export interface OnboardInput {
  home: string;
  server: string;
  token: string;
  name?: string;
}

export interface OnboardResult {
  config: ViberConfig;
  fingerprint: string;
}

/** How long onboarding waits for the server to register the Viber. */
const ONBOARD_TIMEOUT_MS = 30_000;

/** A Viber name the server accepts, from the host name. */
export const defaultViberName = () =>
  hostname()
    .replace(/[^A-Za-z0-9 ._-]/g, '-')
    .slice(0, 64) || 'viber';

export async function onboard(input: OnboardInput): Promise<OnboardResult> {
  const server = normalizeServer(input.server);
  // Ask first whether this is an OpenViber server at all: a wrong port must not blame the token.
  const check = await checkServer(server);
  if (!check.ok) {
    throw new ViberError(
      check.reason === 'unreachable' ? 'server_unreachable' : 'not_openviber',
      check.reason === 'unreachable' ? check.message : `${check.message}; check --server and its port`,
    );
  }
  const keys = await generateKeyPair();
  const name = input.name ?? defaultViberName();
  let response: Response;
  try {
    response = await fetch(`${server}/api/vibers/onboard`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: input.token, name, publicKey: keys.publicKey }),
      signal: AbortSignal.timeout(ONBOARD_TIMEOUT_MS),
    });
  } catch (cause) {
    throw new ViberError('server_unreachable', `cannot reach ${server}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    const error = body?.error as { code?: string; message?: string; field?: string } | undefined;
    const reason = error?.message ?? `HTTP ${response.status}`;
    // Only a refusal about the token blames the token; a bad --name, say, is named as such.
    const what =
      error?.field === 'token' || response.status === 401 || response.status === 409
        ? 'the onboarding token'
        : error?.field
          ? `--${error.field}`
          : 'the onboarding';
    throw new ViberError(
      'onboard_refused',
      `the server refused ${what} (${error?.code ?? response.status}): ${reason}`,
    );
  }
  const { viberId, userId, authToken } = (body ?? {}) as Record<string, unknown>;
  if (typeof viberId !== 'string' || typeof userId !== 'string' || typeof authToken !== 'string') {
    throw new ViberError(
      'bad_response',
      `${server} answered the onboarding without viberId, userId and authToken`,
    );
  }
  const config: ViberConfig = { server, userId, viberId, name, authToken, ...keys, createdAt: Date.now() };
  writeConfig(input.home, config);
  return { config, fingerprint: await keyFingerprint(keys.publicKey) };
}

function normalizeServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ViberError('bad_flag', `--server must be a URL such as http://127.0.0.1:4321 (got '${raw}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ViberError('bad_flag', '--server must be an http:// or https:// URL');
  return url.origin;
}
