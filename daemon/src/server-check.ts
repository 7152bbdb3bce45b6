// Is there an OpenViber server at this URL? GET /api/health answers `{ ok: true, version }` (design §6),
// so a wrong port where another HTTP server answers is told apart from a refused token or credential.
import { messageOf } from './viber-error.ts';

export type ServerCheck =
  { ok: true; version: string } | { ok: false; reason: 'unreachable' | 'not_openviber'; message: string };

/** How long onboarding and status wait for the server's health answer. */
export const HEALTH_TIMEOUT_MS = 10_000;

export async function checkServer(server: string, timeoutMs = HEALTH_TIMEOUT_MS): Promise<ServerCheck> {
  let res: Response;
  try {
    res = await fetch(`${server}/api/health`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      ok: false,
      reason: 'unreachable',
      message: `cannot reach ${server}: ${cause ? messageOf(cause) : messageOf(error)}`,
    };
  }
  const body = (await res.json().catch(() => null)) as { ok?: unknown; version?: unknown } | null;
  if (res.ok && body?.ok === true && typeof body.version === 'string')
    return { ok: true, version: body.version };
  return {
    ok: false,
    reason: 'not_openviber',
    message: `no OpenViber server at ${server} (GET /api/health answered ${res.status}${body ? '' : ', not JSON'})`,
  };
}
