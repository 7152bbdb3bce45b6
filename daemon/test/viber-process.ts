// Real `viber` processes for tests: onboarding through the CLI, and daemons started and stopped as
// a user would (SIGTERM), or killed hard (SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { ViberConfig } from '../src/config.ts';
import { ok } from './server-api.ts';
import { tempDir } from './temp-dir.ts';

const BIN = fileURLToPath(new URL('../bin/viber.js', import.meta.url));
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `viber <args>` to completion with VIBER_HOME=`home`. */
export function runCli(home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, VIBER_HOME: home, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface TestViber {
  home: string;
  config: ViberConfig;
  /** Starts `viber start` (again). */
  start(env?: Record<string, string>): void;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  output(): string;
  /** Resolves with the exit code once the running daemon exits on its own. */
  exited(): Promise<number | null>;
}

/** Onboards a new Viber for the user through the CLI, with its own VIBER_HOME. */
export async function onboardViber(
  server: string,
  userToken: string,
  name = 'test-viber',
  /** More onboard flags, e.g. ['--trust', fingerprint]. */
  extraArgs: string[] = [],
): Promise<TestViber> {
  const home = tempDir('viber-home-');
  const { token } = await ok(server, 'POST', '/api/vibers/onboarding-tokens', userToken);
  const result = await runCli(home, [
    'onboard',
    '--server',
    server,
    '--token',
    token,
    '--name',
    name,
    ...extraArgs,
  ]);
  if (result.code !== 0) throw new Error(`onboard failed: ${result.stderr}`);
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as ViberConfig;
  let child: ChildProcess | null = null;
  let log = '';
  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((done) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return done();
      c.once('exit', () => done());
      c.kill(signal);
    });
  return {
    home,
    config,
    start(env = {}) {
      const c = spawn(process.execPath, [BIN, 'start'], {
        env: { ...process.env, VIBER_HOME: home, ...env },
      });
      c.stdout.on('data', (d: Buffer) => (log += d.toString()));
      c.stderr.on('data', (d: Buffer) => (log += d.toString()));
      c.on('exit', () => running.delete(c));
      running.add(c);
      child = c;
    },
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    output: () => log,
    exited: () =>
      new Promise((done) => {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return done(c?.exitCode ?? null);
        c.once('exit', (code) => done(code));
      }),
  };
}
