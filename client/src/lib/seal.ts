// Seals a secret value in the browser to each Viber's public key; libsodium is loaded only when needed.
import type { ViberRecord } from '@openviber/shared';

/** One sealed box per Viber, keyed by Viber id. The plaintext never leaves this function. */
export async function sealToVibers(value: string, vibers: ViberRecord[]): Promise<Record<string, string>> {
  const { sealSecret } = await import('@openviber/shared/crypto');
  const out: Record<string, string> = {};
  for (const v of vibers) out[v.id] = await sealSecret(value, v.publicKey);
  return out;
}

/** Warms libsodium up after first paint, so the first save does not wait for it. */
export function preloadCrypto(): void {
  const load = () =>
    void import('@openviber/shared/crypto').then((m) => m.sodiumReady()).catch(() => undefined);
  if ('requestIdleCallback' in window) requestIdleCallback(load, { timeout: 5_000 });
  else setTimeout(load, 2_000);
}
