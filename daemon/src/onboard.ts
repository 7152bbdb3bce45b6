// `viber onboard`: generate the key pair, register through POST /api/vibers/onboard, save the config.
import { hostname } from 'node:os';
import { generateKeyPair, keyFingerprint, signingKeyFingerprint } from '@openviber/shared/crypto';
import { writeConfig, type ViberConfig } from './config.ts';
import { checkServer } from './server-check.ts';
import { ViberError, messageOf } from './viber-error.ts';

export interface OnboardInput {
  home: string;
  server: string;
  token: string;
  name?: string;
  /** The fingerprint of the user's signing key the app showed ([T3]); pins that key when given. */
  trust?: string;
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
  const trust = input.trust === undefined ? undefined : normalizeFingerprint(input.trust);
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
  if (trust !== undefined) {
    // Checked before anything is written: a mismatch leaves no config and withdraws the registration.
    const pinned = await pinnedSigningKey(server, viberId, authToken, trust);
    config.trustedSigningKey = pinned;
  }
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

/** `--trust` as `viber status` and the app print it: 8 groups of 4 lowercase hex digits. */
function normalizeFingerprint(raw: string): string {
  const hex = raw
    .trim()
    .toLowerCase()
    .replace(/[\s:-]/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex))
    throw new ViberError(
      'bad_flag',
      '--trust must be the signing key fingerprint the app shows (32 hex digits, e.g. 1a2b:3c4d:…)',
    );
  return (hex.match(/.{4}/g) ?? []).join(':');
}

/**
 * The user's signing public key, fetched with the new Viber's own token and checked against the
 * fingerprint from the app; on any failure the registration is withdrawn (DELETE itself) and
 * nothing is written ([T3]).
 */
async function pinnedSigningKey(
  server: string,
  viberId: string,
  authToken: string,
  trust: string,
): Promise<string> {
  const headers = { authorization: `Bearer ${authToken}` };
  let failure: ViberError;
  try {
    const response = await fetch(`${server}/api/account/signing-key`, {
      headers,
      signal: AbortSignal.timeout(ONBOARD_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => null)) as { publicKey?: unknown } | null;
    const publicKey = typeof body?.publicKey === 'string' ? body.publicKey : '';
    if (response.status === 404 || !publicKey) {
      failure = new ViberError(
        'no_signing_key',
        'the account has no signing key yet: open the app on your device first, then copy the command again',
      );
    } else {
      const actual = await signingKeyFingerprint(publicKey);
      if (actual === trust) return publicKey;
      failure = new ViberError(
        'trust_mismatch',
        `the server's signing key has fingerprint ${actual}, not ${trust} (--trust): nothing was saved. ` +
          'Copy the command again from the app; if the fingerprints still differ, do not trust this server.',
      );
    }
  } catch (cause) {
    failure = new ViberError(
      'server_unreachable',
      `cannot read the signing key from ${server}: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  await fetch(`${server}/api/vibers/${viberId}`, {
    method: 'DELETE',
    headers,
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  throw failure;
}
