// Every state the app shows, in the words a user reads and with the tone of its colour: the one table.
import type { BindingStatus, EnvironmentPill, RunState } from '@openviber/shared';
import type { ViberPresence } from '../models/vibers-model.ts';

/** Every state a pill shows: the shared model's statuses (typed, so a new one needs words here) and the app's own. */
export type ShownStatus = BindingStatus | EnvironmentPill | RunState | 'queued' | ViberPresence;
type StatusKey = Lowercase<ShownStatus>;

export type StatusTone = 'ok' | 'busy' | 'warn' | 'err' | 'neutral';

interface StatusLook {
  label: string;
  tone: StatusTone;
}

const LOOKS: Record<StatusKey, StatusLook> = {
  // Environment pills (shared deriveEnvironmentPill).
  unmapped: { label: 'Unmapped', tone: 'neutral' },
  // Binding statuses (shared deriveBindingStatus); environment pills share the words.
  pending: { label: 'Waiting', tone: 'busy' },
  preparing: { label: 'Preparing', tone: 'busy' },
  stale: { label: 'Needs prepare', tone: 'warn' },
  ready: { label: 'Ready', tone: 'ok' },
  error: { label: 'Error', tone: 'err' },
  // Runs.
  queued: { label: 'Queued', tone: 'busy' },
  started: { label: 'Running', tone: 'busy' },
  progress: { label: 'Running', tone: 'busy' },
  completed: { label: 'Done', tone: 'ok' },
  cancelled: { label: 'Cancelled', tone: 'err' },
  interrupted: { label: 'Interrupted', tone: 'err' },
  // Vibers.
  online: { label: 'Online', tone: 'ok' },
  offline: { label: 'Offline', tone: 'neutral' },
  // This device is offline: what the Viber is doing is not known here.
  unknown: { label: 'Status unknown', tone: 'neutral' },
};

/** A run that ended in `error` failed; an environment in `error` is in Error. */
const RUN_OVERRIDES: Partial<Record<StatusKey, StatusLook>> = { error: { label: 'Failed', tone: 'err' } };

/** The label and tone of `status` (any casing); unknown states are shown as they are, neutral. */
export function statusLook(status: ShownStatus, kind: 'run' | 'other' = 'other'): StatusLook {
  // A newer Viber may still write a state this app does not know: it falls through to the fallback.
  const key = status.toLowerCase() as StatusKey;
  return (
    (kind === 'run' ? RUN_OVERRIDES[key] : undefined) ??
    LOOKS[key] ?? { label: status.charAt(0).toUpperCase() + status.slice(1), tone: 'neutral' }
  );
}
