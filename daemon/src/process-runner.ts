// The low-level spawner under runner.ts (the only module that may call it besides orphan cleanup and
// capability probes): its own process group, merged output streamed through a redactor, timeouts,
// cancellation, and killing the whole tree (TERM, then KILL).
import { spawn } from 'node:child_process';
import { batchPace } from './batched-writer.ts';
import { MAX_CAPTURED_STDOUT_BYTES } from './limits.ts';
import { openSpool, type Spool } from './output-spool.ts';
import {
  boundedOutput,
  boundedStream,
  releasingRedactor,
  streamingOutput,
  type BoundedOutput,
  type OutputStream,
  type StreamRedactor,
} from './output-stream.ts';

export type { BoundedOutput, StreamRedactor };

export interface ProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kills the tree after this long; 0 or undefined means no limit. */
  timeoutMs?: number;
  /** Time between TERM and KILL. */
  graceMs?: number;
  /** Aborting kills the tree. */
  signal?: AbortSignal;
  /** Every string that leaves the runner passes through it. */
  redactor: StreamRedactor;
  /**
   * Redacted output (stdout and stderr merged), as it arrives, or in batches with `bounded`;
   * `dropped` counts characters before `text` that were dropped unsent.
   */
  onOutput?: (text: string, dropped: number) => void;
  bounded?: BoundedOutput;
  /**
   * With `bounded`: the process writes its output into an unlinked file in this folder, read at the
   * batch's pace, only its end when it floods (output-spool.ts). Without it, through a pipe. Only for
   * a process that dies with us (the runner's sandbox): nothing here waits for or stops a writer that
   * outlives the main process, and a spool, unlike a pipe, never fails its writes.
   */
  spoolDir?: string;
  /** Text written to the process's stdin, then closed. */
  input?: string;
  /** Called with the pid (= process group id) once the process started. */
  onSpawn?: (pid: number) => void;
  /**
   * Called when the output stays open after the group was killed: a process that left the group
   * (setsid) still holds it. Called every `STRAGGLER_CHECK_MS` until the output closes.
   */
  onStragglers?: () => void;
  /** Also keep stdout apart (for commands whose output is parsed, such as git rev-parse). */
  captureStdout?: boolean;
  /** At most this much captured stdout (default MAX_CAPTURED_STDOUT_BYTES); past it the run is stopped. */
  maxCapturedBytes?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Failed to start at all (ENOENT, EACCES…); redacted. */
  spawnError: string;
  /** The last few KB of redacted output, for error messages. */
  tail: string;
  /** stdout alone, redacted (only when `captureStdout` is set). */
  stdout: string;
  /** Captured stdout passed its bound: the run was stopped (`stdout` is what came before). */
  stdoutTooLarge?: boolean;
}

const TAIL_CHARS = 4_000;
export const DEFAULT_GRACE_MS = 3_000;
const STRAGGLER_CHECK_MS = 250;

/** Runs a process to completion; never throws for the process's own failures. */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  return new Promise((resolveRun) => {
    let tail = '';
    const emit = (text: string, dropped = 0) => {
      if (!text && !dropped) return;
      tail = (tail + text).slice(-TAIL_CHARS);
      spec.onOutput?.(text, dropped);
    };
    const { bounded } = spec;
    const redactor = releasingRedactor(spec.redactor, emit);
    let spool: Spool | undefined;
    let output: OutputStream | undefined;
    if (bounded && spec.spoolDir && !spec.captureStdout) spool = openSpool(spec.spoolDir);
    else output = bounded ? boundedOutput(redactor, bounded, emit) : streamingOutput(redactor, emit);
    const result: ProcessResult = {
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      spawnError: '',
      tail: '',
      stdout: '',
    };
    // Bytes, decoded once at the end: a chunk boundary can split a multi-byte character, and a secret
    // decoded in halves (U+FFFD at the cut) would no longer match the redactor.
    const stdout: Buffer[] = [];

    const child = spawnOrClose(spool, () =>
      spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true, // its own process group, so the whole tree can be signalled
        stdio: [
          spec.input === undefined ? 'ignore' : 'pipe',
          spool?.writeFd ?? 'pipe',
          spool?.writeFd ?? 'pipe',
        ],
      }),
    );
    if (spool && bounded)
      spool.start(boundedStream(redactor, bounded.keepChars, emit), batchPace(bounded.batch));
    if (spec.input !== undefined) child.stdin?.end(spec.input);
    if (child.pid) spec.onSpawn?.(child.pid);
    const onData = (chunk: Buffer) => output?.write(chunk);
    child.stdout?.on('data', onData);
    let captured = 0;
    const maxCaptured = spec.maxCapturedBytes ?? MAX_CAPTURED_STDOUT_BYTES;
    if (spec.captureStdout)
      child.stdout?.on('data', (chunk: Buffer) => {
        if (result.stdoutTooLarge) return;
        captured += chunk.length;
        if (captured > maxCaptured) {
          result.stdoutTooLarge = true;
          killTree();
          return;
        }
        stdout.push(chunk);
      });
    child.stderr?.on('data', onData);

    let killTimer: NodeJS.Timeout | undefined;
    let stragglers: NodeJS.Timeout | undefined;
    const killTree = () => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), spec.graceMs ?? DEFAULT_GRACE_MS);
    };
    const timeout = spec.timeoutMs
      ? setTimeout(() => {
          result.timedOut = true;
          killTree();
        }, spec.timeoutMs)
      : undefined;
    const onAbort = () => {
      result.cancelled = true;
      killTree();
    };
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener('abort', onAbort, { once: true });

    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearInterval(stragglers);
      spec.signal?.removeEventListener('abort', onAbort);
      if (spool) spool.finish();
      else output?.end();
      resolveRun({
        ...result,
        spawnError: redactor.redact(result.spawnError),
        tail,
        stdout: redactor.redact(Buffer.concat(stdout).toString('utf8')),
      });
    };
    child.on('error', (error) => {
      result.spawnError = error.message;
      finish();
    });
    child.on('exit', (code, signal) => {
      result.exitCode = code;
      result.signal = signal;
      // Whatever the main process left running in its group goes with it; this also closes the pipes.
      signalGroup(child.pid, 'SIGKILL');
      if (spec.onStragglers) stragglers = setInterval(spec.onStragglers, STRAGGLER_CHECK_MS);
    });
    child.on('close', finish);
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** A human summary of how a process ended, for errors. */
export function describeEnd(r: ProcessResult): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.cancelled) return 'was cancelled';
  if (r.timedOut) return 'timed out';
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.exitCode}`;
}

/** Spawns; a spawn that throws (rather than emitting 'error') must not leave the spool's file open. */
function spawnOrClose<T>(spool: Spool | undefined, start: () => T): T {
  try {
    return start();
  } catch (error) {
    spool?.finish();
    throw error;
  }
}
