import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { RUN_OUTPUT_BATCH } from './batched-writer.ts';
import { runProcess } from './process-runner.ts';
import { fixturePath } from '../test/fixture-files.ts';
import { alive } from '../test/process-alive.ts';
import { tempDir } from '../test/temp-dir.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'hunter2-correct-horse';
const MULTI = 'first-line-secret\nsecond-line-secret';

describe('process runner', () => {
  it('[X7] a flood with bounded output: the kept end is redacted, the rest dropped unscanned and counted', async () => {
    const keepChars = 64 * 1024;
    const batches: { text: string; dropped: number }[] = [];
    const result = await runProcess({
      command: fixturePath('floods-with-secret.sh'),
      args: [],
      cwd: tempDir(),
      env: { ...process.env, API_TOKEN: SECRET },
      redactor: new Redactor([{ name: 'API_TOKEN', value: SECRET }]),
      onOutput: (text, dropped) => batches.push({ text, dropped }),
      bounded: { keepChars, batch: RUN_OUTPUT_BATCH },
    });
    expect(result.exitCode).toBe(0);
    const all = batches.map((b) => b.text).join('');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(all).toMatch(/last secret: \[REDACTED:API_TOKEN\]\nflood done\n$/);
    // ~6.3 MB printed: what was handed over plus what was dropped accounts for all of it (markers
    // are shorter than the secret), and a batch never carries more than what is kept.
    const printed = execFileSync(fixturePath('floods-with-secret.sh'), {
      env: { ...process.env, API_TOKEN: SECRET },
      maxBuffer: 64 * 1024 * 1024,
    }).length;
    const dropped = batches.reduce((n, b) => n + b.dropped, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(all.length + dropped).toBeGreaterThan(printed * 0.98);
    expect(all.length + dropped).toBeLessThanOrEqual(printed);
    for (const b of batches) expect(b.text.length).toBeLessThanOrEqual(keepChars + 100);
  });

  it('[X7] captured stdout (a parsed git output) is redacted when a write splits a secret inside a multi-byte character', async () => {
    const secret = 'pässwörd-東京-секрет';
    // Two writes 100 ms apart, the first ending after the first byte of 'ä': two reads for the runner.
    const script = `const b = Buffer.from('x: ' + process.env.S + '\\n');
      process.stdout.write(b.subarray(0, 5), () => setTimeout(() => process.stdout.write(b.subarray(5)), 100));`;
    const result = await runProcess({
      command: process.execPath,
      args: ['-e', script],
      cwd: tempDir(),
      env: { ...process.env, S: secret },
      redactor: new Redactor([{ name: 'S', value: secret }]),
      captureStdout: true,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('x: [REDACTED:S]\n');
  });

  it('captured stdout past its bound stops the command instead of filling the daemon (a 20-million-file listing)', async () => {
    const result = await runProcess({
      command: 'bash',
      args: ['-c', 'while :; do printf "%0100d\\n" 0; done'], // never ends by itself
      cwd: tempDir(),
      env: process.env,
      redactor: new Redactor([]),
      captureStdout: true,
      maxCapturedBytes: 1024 * 1024,
      graceMs: 200,
    });
    expect(result.stdoutTooLarge).toBe(true);
    expect(result.stdout.length).toBeLessThanOrEqual(1024 * 1024);
  });

  it('[X7] streams output redacted: plain, base64, split across writes, multi-line', async () => {
    const chunks: string[] = [];
    const result = await runProcess({
      command: fixturePath('prints-secret.sh'),
      args: [],
      cwd: tempDir(),
      env: { ...process.env, API_TOKEN: SECRET, MULTI_KEY: MULTI },
      redactor: new Redactor([
        { name: 'API_TOKEN', value: SECRET },
        { name: 'MULTI_KEY', value: MULTI },
      ]),
      onOutput: (t) => chunks.push(t),
    });
    const all = chunks.join('');
    expect(result.exitCode).toBe(0);
    expect(all).toContain('done printing');
    expect(all).toContain('plain: [REDACTED:API_TOKEN]');
    expect(all).toContain('split: [REDACTED:API_TOKEN]');
    for (const leak of [
      SECRET,
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET + '\n').toString('base64'),
      'first-line-secret',
      'second-line-secret',
    ]) {
      expect(all).not.toContain(leak);
    }
    expect(chunks.length).toBeGreaterThan(1);
  });

  for (const mode of ['streamed', 'spooled'] as const)
    it(`[X7] a line the redactor holds back (it could start a secret) is shown while the process is silent, not at its next line (${mode})`, async () => {
      // The line reads as wrapped base64 and ends with the secret's first letter; the script prints
      // nothing more until the test has seen that line. The secret split by the pause is still marked.
      const secret = 'e2-deploy-key-value';
      const dir = tempDir();
      const go = join(dir, 'go');
      let all = '';
      const run = runProcess({
        command: 'bash',
        args: [
          '-c',
          `echo before-the-outage; printf 'key=e2-deploy'; while [ ! -e ${go} ]; do sleep 0.05; done; echo '-key-value after'`,
        ],
        cwd: dir,
        env: process.env,
        redactor: new Redactor([{ name: 'K', value: secret }]),
        onOutput: (text) => (all += text),
        ...(mode === 'spooled'
          ? { bounded: { keepChars: 64 * 1024, batch: RUN_OUTPUT_BATCH }, spoolDir: join(dir, 'spool') }
          : {}),
      });
      await waitFor(() => all.includes('before-the-outage\nkey=e2-deploy'), {
        what: 'the held-back line',
        timeoutMs: 10_000,
      });
      writeFileSync(go, '');
      expect((await run).exitCode).toBe(0);
      expect(all).toBe('before-the-outage\nkey=e2-deploy[REDACTED:K] after\n');
    });

  it('cancel kills the whole tree, grandchild included (TERM then KILL)', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const pidFile = join(dir, 'pid');
    const run = runProcess({
      command: fixturePath('forever.sh'),
      args: [],
      cwd: dir,
      env: { ...process.env, PID_FILE: pidFile },
      redactor: new Redactor([]),
      signal: controller.signal,
      graceMs: 500,
    });
    const pid = Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()));
    expect(alive(pid)).toBe(true);
    controller.abort();
    const result = await run;
    expect(result.cancelled).toBe(true);
    await waitFor(() => !alive(pid), { what: 'the grandchild to die' });
  });

  it('a timeout kills the tree and says so', async () => {
    const result = await runProcess({
      command: 'bash',
      args: ['-c', 'sleep 30'],
      cwd: tempDir(),
      env: process.env,
      redactor: new Redactor([]),
      timeoutMs: 200,
      graceMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
  });

  it('a command that cannot start is a result, not a throw', async () => {
    const result = await runProcess({
      command: '/nonexistent/cmd',
      args: [],
      cwd: tempDir(),
      env: process.env,
      redactor: new Redactor([]),
    });
    expect(result.spawnError).toContain('ENOENT');
  });
});
