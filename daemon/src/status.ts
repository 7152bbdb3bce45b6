// `viber status`: what this Viber is, whether its daemon runs, and whether its server is reachable
// and still accepts it. Healthy means both; anything else is a non-zero exit, so scripts can check it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { keyFingerprint } from '@openviber/shared/crypto';
import { readConfig, workspaceRoot, type ViberConfig } from './config.ts';
import { daemonState } from './pid-file.ts';
import { checkServer } from './server-check.ts';

export interface StatusReport {
  text: string;
  /** The daemon runs and the server answers as OpenViber and accepts this Viber's credentials. */
  healthy: boolean;
}

const label = (name: string) => `${name}:`.padEnd(14);

export async function statusReport(home: string, startCommand = 'viber start'): Promise<StatusReport> {
  const config = readConfig(home);
  const root = workspaceRoot(home);
  const checkouts = existsSync(join(root, 'checkouts')) ? readdirSync(join(root, 'checkouts')) : [];
  const daemon = daemonState(home);
  const daemonLine =
    daemon.state === 'running'
      ? `running (pid ${daemon.record.pid}, since ${new Date(daemon.record.startedAt).toISOString()})`
      : daemon.state === 'stale'
        ? `not running (pid ${daemon.record.pid}, started ${new Date(daemon.record.startedAt).toISOString()}, ended without stopping); run: ${startCommand}`
        : `not running; run: ${startCommand}`;
  const server = await serverLine(config);
  const lines = [
    `${label('Viber')}${config.name} (${config.viberId})`,
    `${label('Fingerprint')}${await keyFingerprint(config.publicKey)} (the app shows the same for this Viber)`,
    `${label('Trust')}${
      config.trustedSigningKey
        ? `pinned signing key ${await keyFingerprint(config.trustedSigningKey)}: runs only what your devices sign`
        : 'the server (onboarded without --trust)'
    }`,
    `${label('Daemon')}${daemonLine}`,
    `${label('Server')}${config.server}: ${server.text}`,
    `${label('Home')}${home}`,
    `${label('Workspaces')}${root} (${checkouts.length} checkout${checkouts.length === 1 ? '' : 's'})`,
  ];
  return { text: lines.join('\n'), healthy: daemon.state === 'running' && server.ok };
}

async function serverLine(config: ViberConfig): Promise<{ ok: boolean; text: string }> {
  const check = await checkServer(config.server);
  if (!check.ok)
    return {
      ok: false,
      text: check.reason === 'unreachable' ? `unreachable (${check.message})` : check.message,
    };
  try {
    const res = await fetch(`${config.server}/api/vibers/${config.viberId}/config`, {
      headers: { authorization: `Bearer ${config.authToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => null)) as {
      environments?: { name: string }[];
      bindings?: unknown[];
      error?: { message: string };
    } | null;
    if (res.ok && body) {
      const names = (body.environments ?? []).map((e) => e.name).join(', ') || 'none';
      return {
        ok: true,
        text: `reachable (OpenViber ${check.version}), ${body.bindings?.length ?? 0} binding(s): ${names}`,
      };
    }
    const why = res.status === 401 || res.status === 404 ? ' (was this Viber removed in the app?)' : '';
    return {
      ok: false,
      text: `reachable, but refused this Viber (${res.status}${body?.error?.message ? `: ${body.error.message}` : ''})${why}`,
    };
  } catch (error) {
    return { ok: false, text: `unreachable (${(error as Error).message})` };
  }
}
