// The awareness state a Viber publishes on its own document ([S7]): the one shape the daemon writes,
// the server's guard and presence read, and the app shows as "online".

/** The awareness field that carries a Viber's presence ([S9]: kept only from its own connection). */
export const VIBER_PRESENCE_FIELD = 'viber';

export interface ViberPresence {
  online: boolean;
  /** The daemon's version (what `viber start` runs). */
  version: string;
  viberId: string;
}

/** The awareness state a connected Viber sets: `{ viber: { online: true, version, viberId } }`. */
export function viberPresenceState(p: { version: string; viberId: string }): {
  [VIBER_PRESENCE_FIELD]: ViberPresence;
} {
  return { [VIBER_PRESENCE_FIELD]: { online: true, version: p.version, viberId: p.viberId } };
}

/** A peer's awareness state read as a Viber's presence; null for anything else (never throws, [S6]). */
export function readViberPresence(state: unknown): ViberPresence | null {
  if (typeof state !== 'object' || state === null) return null;
  const v: unknown = (state as Record<string, unknown>)[VIBER_PRESENCE_FIELD];
  if (typeof v !== 'object' || v === null) return null;
  const { online, version, viberId } = v as Record<string, unknown>;
  return {
    online: online === true,
    version: typeof version === 'string' ? version : '',
    viberId: typeof viberId === 'string' ? viberId : '',
  };
}

/** True when some peer's awareness state says a Viber is online. */
export const isViberOnlineIn = (states: Iterable<unknown>): boolean => {
  for (const state of states) if (readViberPresence(state)?.online === true) return true;
  return false;
};
