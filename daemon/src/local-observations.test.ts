// [T5] Where and whether work runs is decided by what this Viber recorded, not by its document,
// which the server can write.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ObservedState, readObservation, writeObservation } from '@openviber/shared';
import { LocalObservations } from './local-observations.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('local observations', () => {
  it('[T5] a server rewriting the Viber document (ready, any generation, any directory) changes nothing read', () => {
    const dir = tempDir();
    const viberDoc = new Y.Doc();
    const local = new LocalObservations(dir);
    local.observe(viberDoc, 'bnd_1', {
      observedGeneration: 2,
      state: ObservedState.preparing,
      resolvedWorkingDir: '/work/checkouts/bnd_1',
    });
    // The app sees it through the document.
    expect(readObservation(viberDoc, 'bnd_1')).toMatchObject({ state: 'preparing', observedGeneration: 2 });
    // What a hostile server writes there.
    writeObservation(viberDoc, 'bnd_1', {
      observedGeneration: 1_000_000,
      state: ObservedState.ready,
      resolvedWorkingDir: '/var/run',
    });
    writeObservation(viberDoc, 'bnd_forged', { observedGeneration: 1, state: ObservedState.ready });
    expect(local.read('bnd_1')).toMatchObject({
      observedGeneration: 2,
      state: 'preparing',
      resolvedWorkingDir: '/work/checkouts/bnd_1',
    });
    expect(local.read('bnd_forged')).toBeUndefined();
  });

  it('survives a restart (a final state is written durably), and forgets removed bindings', () => {
    const dir = tempDir();
    const viberDoc = new Y.Doc();
    const first = new LocalObservations(dir);
    first.observe(viberDoc, 'bnd_1', { observedGeneration: 3, state: ObservedState.preparing });
    first.observe(viberDoc, 'bnd_1', { state: ObservedState.ready, resolvedWorkingDir: '/w/1' });
    first.observe(viberDoc, 'bnd_2', { observedGeneration: 1, state: ObservedState.error, lastError: 'x' });
    expect(existsSync(join(dir, 'observed.json'))).toBe(true);
    const second = new LocalObservations(dir);
    expect(second.read('bnd_1')).toMatchObject({
      observedGeneration: 3,
      state: 'ready',
      resolvedWorkingDir: '/w/1',
    });
    second.remove(viberDoc, ['bnd_1']);
    expect(new LocalObservations(dir).read('bnd_1')).toBeUndefined();
    expect(new LocalObservations(dir).read('bnd_2')).toMatchObject({ state: 'error' });
    expect(readObservation(viberDoc, 'bnd_1')).toBeUndefined();
  });
});
