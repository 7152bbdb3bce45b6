import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootId, processesWithEnv, startTimeOf } from './process-identity.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('process identity [R1]', () => {
  it('reads the start time even when the command name holds spaces and parentheses', async () => {
    const tricky = join(tempDir(), 'x) (y z) 1 2');
    copyFileSync('/bin/sleep', tricky);
    const child = spawn(tricky, ['30'], { env: { ...process.env, IDENTITY_TEST: 'tricky' } });
    try {
      const pid = child.pid!;
      const ours = Number(startTimeOf(process.pid));
      const theirs = startTimeOf(pid);
      expect(theirs).toMatch(/^\d+$/);
      expect(Number(theirs)).toBeGreaterThanOrEqual(ours);
      expect(processesWithEnv('IDENTITY_TEST', 'tricky')).toEqual([pid]);
      expect(processesWithEnv('IDENTITY_TEST', 'trick')).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(startTimeOf(child.pid!)).toBe('');
    expect(bootId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
