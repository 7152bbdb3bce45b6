import { describe, expect, it } from 'vitest';
import { deriveBindingStatus, deriveEnvironmentPill } from './derive-status.ts';
import type { Observation } from './viber-doc.ts';

const obs = (o: Partial<Observation>): Observation => ({
  observedGeneration: 1,
  state: 'ready',
  step: '',
  resolvedWorkingDir: '/w',
  lastPrepareAt: 1,
  lastError: '',
  specHash: 'h1',
  ...o,
});

describe('derived status (design §4)', () => {
  it('no observation is pending; preparing is preparing', () => {
    expect(deriveBindingStatus({ generation: 1 }, undefined, 'h1')).toBe('pending');
    expect(deriveBindingStatus({ generation: 2 }, obs({ state: 'preparing' }), 'h1')).toBe('preparing');
  });
  it('a generation bump not yet seen is pending; another spec is stale; else the observed state', () => {
    expect(deriveBindingStatus({ generation: 2 }, obs({}), 'h1')).toBe('pending');
    expect(deriveBindingStatus({ generation: 1 }, obs({}), 'h2')).toBe('stale');
    expect(deriveBindingStatus({ generation: 1 }, obs({}), 'h1')).toBe('ready');
    expect(deriveBindingStatus({ generation: 1 }, obs({ state: 'error' }), 'h1')).toBe('error');
  });
  it('[D8] the pill is the worst binding: Unmapped, Error, Preparing, Stale (needs a re-prepare), Ready', () => {
    expect(deriveEnvironmentPill([])).toBe('Unmapped');
    expect(deriveEnvironmentPill(['ready', 'error', 'preparing'])).toBe('Error');
    expect(deriveEnvironmentPill(['ready', 'pending'])).toBe('Preparing');
    expect(deriveEnvironmentPill(['ready', 'stale'])).toBe('Stale');
    expect(deriveEnvironmentPill(['ready', 'ready'])).toBe('Ready');
  });
});
