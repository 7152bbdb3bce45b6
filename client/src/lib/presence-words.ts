// A Viber's connection in words. While this device is offline its view of the Vibers is stale, so it
// says the status is unknown rather than blaming the Viber.
import type { ViberPresence } from '../models/vibers-model.ts';

/** Said wherever a Viber's presence shows while this device is offline. */
export const UNKNOWN_WHILE_OFFLINE = 'status unknown while you are offline';

/** "online", "offline" or "status unknown while you are offline". */
export function presenceWords(presence: ViberPresence): string {
  return presence === 'unknown' ? UNKNOWN_WHILE_OFFLINE : presence;
}

/** The class of a presence dot: filled green online, grey offline, a hollow ring when unknown. */
export function presenceDot(presence: ViberPresence | undefined): string {
  return presence === 'online' ? 'dot on' : presence === 'unknown' ? 'dot unknown' : 'dot';
}
