// A Viber's name, told apart from namesakes: two machines named after the same hostname get the
// start of their public key after the name (the key is what makes them different).
import type { ViberRecord } from '@openviber/shared';

/** `name`, or `name · key abcd1234` when another registered Viber has the same name. */
export function viberLabel(viber: ViberRecord, all: readonly ViberRecord[]): string {
  const namesakes = all.filter((v) => v.name === viber.name);
  return namesakes.length > 1 ? `${viber.name} · key ${shortKey(viber.publicKey)}` : viber.name;
}

/** The first 8 characters of the base64 public key: short, stable, and shown by the Vibers page too. */
export function shortKey(publicKey: string): string {
  return publicKey.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
}
