// The awareness state a Viber publishes on its own document ([S7]): the one shape the daemon writes,
// the server's guard and presence read, and the app shows as "online" (and "update it" when older).
import { SCHEMA_VERSION } from './document-version.ts';

/** The awareness field that carries a Viber's presence ([S9]: kept only from its own connection). */
export const VIBER_PRESENCE_FIELD = 'viber';

export interface ViberPresence {
  online: boolean;
  /** The daemon's version (what `viber start` runs). */
  version: string;
  viberId: string;
  /** The document schema the Viber reads and writes ([S12]); 0 when it does not say (it predates this field). */
  schemaVersion: number;
}

/** The awareness state a connected Viber sets: `{ viber: { online: true, version, viberId, schemaVersion } }`. */
export function viberPresenceState(p: { version: string; viberId: string; schemaVersion?: number }): {
  [VIBER_PRESENCE_FIELD]: ViberPresence;
} {
  const { version, viberId, schemaVersion = SCHEMA_VERSION } = p;
  return { [VIBER_PRESENCE_FIELD]: { online: true, version, viberId, schemaVersion } };
}

/** A peer's awareness state read as a Viber's presence; null for anything else (never throws, [S6]). */
export function readViberPresence(state: unknown): ViberPresence | null {
  if (typeof state !== 'object' || state === null) return null;
  const v: unknown = (state as Record<string, unknown>)[VIBER_PRESENCE_FIELD];
  if (typeof v !== 'object' || v === null) return null;
  const { online, version, viberId, schemaVersion } = v as Record<string, unknown>;
  return {
    online: online === true,
    version: typeof version === 'string' ? version : '',
    viberId: typeof viberId === 'string' ? viberId : '',
    schemaVersion:
      typeof schemaVersion === 'number' && Number.isSafeInteger(schemaVersion) && schemaVersion > 0
        ? schemaVersion
        : 0,
  };
}

/**
 * True when a Viber should be updated ([S12]): its presence names an older document schema than
 * `understood` (this code's), or none at all (a Viber from before presence carried it).
 */
export const viberRunsOlderSchema = (presence: ViberPresence, understood = SCHEMA_VERSION): boolean =>
  presence.schemaVersion < understood;

/** True when some peer's awareness state says a Viber is online. */
export const isViberOnlineIn = (states: Iterable<unknown>): boolean => {
  for (const state of states) if (readViberPresence(state)?.online === true) return true;
  return false;
};
