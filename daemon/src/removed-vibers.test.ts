import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_REMOVED_VIBERS, RemovedVibers } from './removed-vibers.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('[X5] the record of removed Vibers', () => {
  it('survives a restart, keeps the newest MAX_REMOVED_VIBERS, and an unreadable file starts it empty', () => {
    const state = tempDir();
    const record = new RemovedVibers(state);
    expect(record.note(['vbr_a'])).toBe(true);
    expect(record.note(['vbr_a'])).toBe(false);
    expect(new RemovedVibers(state).has('vbr_a')).toBe(true);
    record.note(Array.from({ length: MAX_REMOVED_VIBERS }, (_, i) => `vbr_${i}`));
    const reopened = new RemovedVibers(state);
    expect(reopened.has('vbr_a')).toBe(false); // the oldest went
    expect(reopened.has('vbr_0')).toBe(true);
    expect(reopened.has(`vbr_${MAX_REMOVED_VIBERS - 1}`)).toBe(true);
    writeFileSync(join(state, 'removed-vibers.json'), '{not json');
    expect(new RemovedVibers(state).has('vbr_0')).toBe(false);
  });
});
