// `viber status`: what this Viber is, what it is connected to, and what it holds.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { keyFingerprint } from '@openviber/shared/crypto';
import { readConfig, workspaceRoot } from './config.ts';

export async function statusReport(home: string): Promise<string> {
  const config = readConfig(home);
  const root = workspaceRoot(home);
  const checkouts = existsSync(join(root, 'checkouts')) ? readdirSync(join(root, 'checkouts')) : [];
  const lines = [
    `Viber:        ${config.name} (${config.viberId})`,
    `Server:       ${config.server}`,
    `Key:          ${await keyFingerprint(config.publicKey)}`,
    `Home:         ${home}`,
    `Workspaces:   ${root} (${checkouts.length} checkout${checkouts.length === 1 ? '' : 's'})`,
  ];
  try {
    const res = await fetch(`${config.server}/api/vibers/${config.viberId}/config`, {
      headers: { authorization: `Bearer ${config.authToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json().catch(() => null)) as {
      environments?: { name: string }[];
      bindings?: unknown[];
      error?: { message: string };
    } | null;
    if (res.ok && body) {
      lines.push(
        `Server says:  reachable, ${body.bindings?.length ?? 0} binding(s): ${(body.environments ?? []).map((e) => e.name).join(', ') || 'none'}`,
      );
    } else {
      lines.push(`Server says:  ${res.status} ${body?.error?.message ?? ''}`.trimEnd());
    }
  } catch (error) {
    lines.push(`Server says:  unreachable (${(error as Error).message})`);
  }
  return lines.join('\n');
}
