// Every state the shared model can produce has words a user reads and a tone; none falls through.
import { describe, expect, it } from 'vitest';
import { BindingStatus, EnvironmentPill, RunState } from '@openviber/shared';
import { statusLook, type ShownStatus } from './status-label.ts';

describe('status words', () => {
  it('names every binding status, environment pill and run state', () => {
    const states: ShownStatus[] = [
      ...Object.values(BindingStatus),
      ...Object.values(EnvironmentPill),
      ...Object.values(RunState),
      'online',
      'offline',
      'unknown',
      'queued',
    ];
    for (const s of states) {
      const look = statusLook(s, (Object.values(RunState) as string[]).includes(s) ? 'run' : 'other');
      // A known state, not the capitalised fallback (neutral); only these are neutral on purpose.
      expect(look.tone !== 'neutral' || ['unmapped', 'offline', 'unknown'].includes(s.toLowerCase()), s).toBe(
        true,
      );
      expect(look.label.length).toBeGreaterThan(2);
    }
  });
  it('says Running for a run in progress, Needs prepare for a stale mapping, Failed for a failed run', () => {
    expect(statusLook('progress', 'run')).toEqual({ label: 'Running', tone: 'busy' });
    expect(statusLook('started', 'run').label).toBe('Running');
    expect(statusLook('Stale')).toEqual({ label: 'Needs prepare', tone: 'warn' });
    expect(statusLook('error', 'run').label).toBe('Failed');
    expect(statusLook('Error').label).toBe('Error');
  });
});
