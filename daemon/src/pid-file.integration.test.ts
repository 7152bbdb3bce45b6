import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/temp-dir.ts';
import { claimPidFile, daemonState, pidFilePath } from './pid-file.ts';
import { startTimeOf } from './process-identity.ts';

const PID_FILE_MODULE = fileURLToPath(new URL('./pid-file.ts', import.meta.url));

/** A process that claims `home` at wall-clock time `at` (all contenders at once) and says won/lost;
 *  it keeps running (a winner holds its claim) until killed. Resolves with its first line. */
function contender(home: string, at: number, running: ChildProcess[]): Promise<string> {
  const script = `
    const { claimHome } = await import(${JSON.stringify(PID_FILE_MODULE)});
    while (Date.now() < ${at});
    try { await claimHome(${JSON.stringify(home)}); console.log('won'); }
    catch (e) { console.log('lost: ' + e.message); }
    // Held until killed, or until the test process (our stdin) goes away.
    process.stdin.on('end', () => process.exit()).resume();`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    running.push(child);
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', () => resolve(out.trim()));
  });
}

describe('daemon.pid', () => {
  it('[C2] eight processes claiming one home at the same instant: exactly one wins, a stale pid file there or not', async () => {
    for (let round = 0; round < 4; round++) {
      const home = tempDir('viber-pid-');
      // A daemon killed hard left its file: each start finds it stale and removes it (racing).
      if (round % 2)
        writeFileSync(pidFilePath(home), JSON.stringify({ pid: 2 ** 22 + 7, startedAt: 1 }) + '\n');
      // Far enough ahead that every contender has loaded the module and spins on the clock.
      const at = Date.now() + 4_000;
      const running: ChildProcess[] = [];
      const results = await Promise.all(Array.from({ length: 8 }, () => contender(home, at, running)));
      for (const child of running) child.kill('SIGKILL');
      expect(
        results.filter((r) => r === 'won'),
        results.join('\n'),
      ).toHaveLength(1);
      for (const r of results.filter((r) => r !== 'won'))
        expect(r).toMatch(/lost: .*(already runs|under way)/);
    }
  });

  it('[C2] a running daemon keeps its home even when its pid file was removed (what a racing start over a stale file does)', async () => {
    const home = tempDir('viber-pid-');
    const running: ChildProcess[] = [];
    try {
      expect(await contender(home, 0, running)).toBe('won');
      rmSync(pidFilePath(home));
      expect(await contender(home, 0, running)).toMatch(/lost: .*already runs/);
    } finally {
      for (const child of running) child.kill('SIGKILL');
    }
  });

  it('[C2] a record of a dead process, a garbage file or a reused pid is stale and replaced; ours is released', () => {
    const home = tempDir('viber-pid-');
    writeFileSync(pidFilePath(home), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: 1 }));
    expect(daemonState(home).state).toBe('stale');
    writeFileSync(pidFilePath(home), 'not json');
    expect(daemonState(home).state).toBe('stopped');
    // Our own pid, but a start time that is not ours: the pid was reused.
    writeFileSync(pidFilePath(home), JSON.stringify({ pid: process.pid, startedAt: 1, processStart: '1' }));
    expect(daemonState(home).state).toBe('stale');
    // Our pid and start time, but counted in another boot.
    writeFileSync(
      pidFilePath(home),
      JSON.stringify({ pid: process.pid, startedAt: 1, processStart: startTimeOf(process.pid), bootId: 'x' }),
    );
    expect(daemonState(home).state).toBe('stale');

    const release = claimPidFile(home);
    expect(daemonState(home)).toMatchObject({ state: 'running', record: { pid: process.pid } });
    expect(() => claimPidFile(home)).toThrow(/already runs/);
    release();
    expect(daemonState(home).state).toBe('stopped');
    expect(() => readFileSync(pidFilePath(home))).toThrow();
  });
});
