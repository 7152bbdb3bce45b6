// A task's bounded output through an unlinked file (output-spool.ts): same text and redaction as the
// pipe, light output still live, the disk given back during a flood, nothing left behind.
import { execFileSync } from 'node:child_process';
import { existsSync, fstatSync, mkdirSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { RUN_OUTPUT_BATCH } from './batched-writer.ts';
import { boundedStream } from './output-stream.ts';
import { openSpool, spoolWorks } from './output-spool.ts';
import { runProcess } from './process-runner.ts';
import { bashScript } from './sandbox.ts';
import { fixturePath } from '../test/fixture-files.ts';
import { tempDir } from '../test/temp-dir.ts';
import { testRunner } from '../test/test-runner.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'hunter2-correct-horse';
const openFds = () => readdirSync('/proc/self/fd').length;

function collect() {
  const batches: { text: string; dropped: number; at: number }[] = [];
  return {
    batches,
    onOutput: (text: string, dropped: number) => batches.push({ text, dropped, at: Date.now() }),
    text: () => batches.map((b) => b.text).join(''),
    dropped: () => batches.reduce((n, b) => n + b.dropped, 0),
  };
}

describe('spooled run output [X7]', () => {
  it('this machine can punch holes where the Viber keeps its state (else output falls back to a pipe)', async () => {
    expect(await spoolWorks(join(tempDir(), 'output'))).toBe(true);
  });

  it('a flood through the spool: the kept end redacted, the rest dropped unread and counted, as through a pipe', async () => {
    const keepChars = 64 * 1024;
    const spoolDir = join(tempDir(), 'output');
    const env = { ...process.env, API_TOKEN: SECRET };
    const printed = execFileSync(fixturePath('floods-with-secret.sh'), { env, maxBuffer: 64 << 20 }).length;
    for (const via of ['spool', 'pipe'] as const) {
      const out = collect();
      const fds = openFds();
      const result = await runProcess({
        command: fixturePath('floods-with-secret.sh'),
        args: [],
        cwd: tempDir(),
        env,
        redactor: new Redactor([{ name: 'API_TOKEN', value: SECRET }]),
        onOutput: out.onOutput,
        bounded: { keepChars, batch: RUN_OUTPUT_BATCH },
        spoolDir: via === 'spool' ? spoolDir : undefined,
      });
      expect(result.exitCode, via).toBe(0);
      const all = out.text();
      expect(all, via).not.toContain(SECRET);
      expect(all, via).not.toContain(Buffer.from(SECRET).toString('base64'));
      expect(all, via).toMatch(/last secret: \[REDACTED:API_TOKEN\]\nflood done\n$/);
      expect(out.dropped(), via).toBeGreaterThan(0);
      expect(all.length + out.dropped(), via).toBeGreaterThan(printed * 0.98);
      expect(all.length + out.dropped(), via).toBeLessThanOrEqual(printed);
      for (const b of out.batches) expect(b.text.length, via).toBeLessThanOrEqual(keepChars + 100);
      expect(result.tail, via).toMatch(/flood done\n$/);
      expect(openFds(), `${via}: descriptors left open`).toBe(fds);
    }
    // Unlinked from the start: nothing on the disk, during or after.
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('light output is live (a line before the process ends), stdout and stderr in the order written', async () => {
    const out = collect();
    const started = Date.now();
    const result = await runProcess({
      command: 'bash',
      args: ['-c', 'echo one; echo two >&2; echo three; sleep 1; echo four'],
      cwd: tempDir(),
      env: process.env,
      redactor: new Redactor([]),
      onOutput: out.onOutput,
      bounded: { keepChars: 1000, batch: RUN_OUTPUT_BATCH },
      spoolDir: join(tempDir(), 'output'),
    });
    const ended = Date.now();
    expect(result.exitCode).toBe(0);
    expect(out.text()).toBe('one\ntwo\nthree\nfour\n');
    const first = out.batches.find((b) => b.text.includes('three'))!;
    expect(first.at - started).toBeLessThan(ended - started - 500);
    expect(out.dropped()).toBe(0);
  });

  it("a flood read from the spool is emitted at the flood interval, not at every look (the batcher's rule)", async () => {
    const spool = openSpool(join(tempDir(), 'output'));
    const out = collect();
    spool.start(boundedStream(new Redactor([]), 1000, out.onOutput), {
      intervalMs: 5,
      floodIntervalMs: 100,
      floodCharsPerMs: 100,
    });
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const started = performance.now();
    try {
      while (performance.now() - started < 500) {
        writeSync(spool.writeFd, chunk); // ~32 MB/s: a flood
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      spool.finish();
    }
    // Looked at every 5 ms (~100 looks): a flush each time would be ~100 emits; at 100 ms, about 5.
    const emits = out.batches.filter((b) => b.text).length;
    expect(emits).toBeGreaterThanOrEqual(2);
    expect(emits).toBeLessThanOrEqual(500 / 100 + 2);
    expect(out.dropped()).toBeGreaterThan(0);
  });

  it('a command that cannot start leaves no descriptor and no file', async () => {
    const spoolDir = join(tempDir(), 'output');
    const fds = openFds();
    const result = await runProcess({
      command: '/nonexistent/command',
      args: [],
      cwd: tempDir(),
      env: process.env,
      redactor: new Redactor([]),
      bounded: { keepChars: 1000, batch: RUN_OUTPUT_BATCH },
      spoolDir,
    });
    expect(result.spawnError).toMatch(/ENOENT/);
    expect(openFds()).toBe(fds);
    expect(readdirSync(spoolDir)).toEqual([]);
    // A spawn Node refuses outright (a NUL in an argument throws instead of emitting 'error').
    await expect(
      runProcess({
        command: 'echo',
        args: ['a\0b'],
        cwd: tempDir(),
        env: process.env,
        redactor: new Redactor([]),
        bounded: { keepChars: 1000, batch: RUN_OUTPUT_BATCH },
        spoolDir,
      }),
    ).rejects.toThrow(/null bytes/);
    expect(openFds()).toBe(fds);
  });

  it('what was read is given back to the disk: 64 MB written, the file never holds much more than the punch step', async () => {
    const step = 4 * 1024 * 1024;
    const spool = openSpool(join(tempDir(), 'output'), step);
    const out = collect();
    const stream = boundedStream(new Redactor([{ name: 'T', value: SECRET }]), 1000, out.onOutput);
    spool.start(stream, { intervalMs: 5, floodIntervalMs: 5, floodCharsPerMs: Infinity });
    const allocated = () => fstatSync(spool.writeFd).blocks * 512;
    const piece = Buffer.alloc(8 * 1024 * 1024, 'x');
    let most = 0;
    try {
      for (let i = 1; i <= 8; i++) {
        writeSync(spool.writeFd, piece);
        most = Math.max(most, allocated());
        // Read (the stream emitted the new end) and given back (the punch ran) before the next piece.
        await waitFor(() => out.dropped() + out.text().length >= i * piece.length - 1000, {
          what: `piece ${i} to be read`,
        });
        await waitFor(() => allocated() < 2 * step + piece.length, { what: `piece ${i}'s space back` });
      }
      writeSync(spool.writeFd, `end ${SECRET}\n`);
    } finally {
      spool.finish();
    }
    expect(most).toBeLessThan(2 * step + 2 * piece.length);
    expect(out.text().endsWith('x'.repeat(100) + 'end [REDACTED:T]\n')).toBe(true);
  });

  it("a hole still being punched keeps the file's descriptor open: its number cannot pass to another file meanwhile", async () => {
    let release!: () => void;
    let punchedPath = '';
    const slowPunch = (path: string) => {
      punchedPath = path;
      return new Promise<boolean>((resolve) => (release = () => resolve(true)));
    };
    const spool = openSpool(join(tempDir(), 'output'), 4096, slowPunch);
    const out = collect();
    spool.start(boundedStream(new Redactor([]), 100, out.onOutput), {
      intervalMs: 5,
      floodIntervalMs: 5,
      floodCharsPerMs: Infinity,
    });
    writeSync(spool.writeFd, Buffer.alloc(16 * 1024, 'x'));
    await waitFor(() => punchedPath, { what: 'a punch to start' });
    expect(punchedPath).toBe(`/proc/${process.pid}/fd/${spool.writeFd}`);
    spool.finish();
    expect(() => fstatSync(spool.writeFd)).not.toThrow(); // still ours while the punch may open it
    release();
    await waitFor(
      () => {
        try {
          fstatSync(spool.writeFd);
          return false;
        } catch {
          return true;
        }
      },
      { what: 'the descriptor to close once the punch ended' },
    );
  });

  it('through the one runner: spooled only where the run dies with the Viber (the key-hiding sandbox), else a pipe', async () => {
    // readlink of its own stdout: a spool is an unlinked file under state/output, else a socket pair.
    const stdoutOf = async (hidesKeys: boolean) => {
      const runner = testRunner({ capabilities: { hidesKeys } });
      mkdirSync(runner.root, { recursive: true });
      const out = collect();
      const result = await runner.run({
        label: 'where does my output go',
        command: bashScript('readlink /proc/self/fd/1; readlink /proc/self/fd/2'),
        cwd: runner.root,
        env: process.env,
        onOutput: out.onOutput,
        bounded: { keepChars: 10_000, batch: RUN_OUTPUT_BATCH },
      });
      expect(result.exitCode).toBe(0);
      const spoolDir = join(runner.stateDir, 'output');
      expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
      return { text: out.text(), stateDir: runner.stateDir };
    };
    const sandboxed = await stdoutOf(true);
    const [stdout, stderr] = sandboxed.text.trim().split('\n');
    expect(stdout).toMatch(/\/state\/output\/[0-9a-f-]+\.out \(deleted\)$/);
    expect(stderr).toBe(stdout); // one file, both streams in the order written
    // Without the sandbox an orphan would outlive a crashed Viber: through a pipe it dies of SIGPIPE
    // with it, writing into a spool it could fill the disk.
    // (Node's child stdio "pipes" are socket pairs.)
    expect((await stdoutOf(false)).text).toMatch(/^socket:\[\d+\]\nsocket:\[\d+\]\n$/);
  });

  it('a file a crash left in the spool folder is removed when the runner starts', () => {
    const home = tempDir('viber-home-');
    const leftover = join(home, 'state', 'output', 'left-by-a-crash.out');
    mkdirSync(join(home, 'state', 'output'), { recursive: true });
    writeFileSync(leftover, `API_TOKEN=${SECRET}\n`);
    testRunner({ home });
    expect(existsSync(leftover)).toBe(false);
  });
});
