// The benchmark table: one row per figure with its reference, the ratio, the target and pass/miss.

export interface Row {
  figure: string;
  /** Measured value, already formatted (or 'n/a: <reason>'). */
  value: string;
  reference: string;
  /** value / reference, when both are numbers. */
  ratio?: number;
  target: string;
  /** undefined: informational row (no target). */
  pass?: boolean;
}

export interface Method {
  figure: string;
  text: string;
}

const fmtRatio = (r?: number) => (r === undefined || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`);
const fmtPass = (p?: boolean) => (p === undefined ? '—' : p ? 'pass' : 'MISS');

export const ms = (v: number) => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const mbps = (v: number) => `${v.toFixed(0)} MB/s`;

/** A row for a figure that cannot be measured in this run. */
export const unavailable = (figure: string, reason: string, target: string): Row => ({
  figure,
  value: `n/a: ${reason}`,
  reference: '—',
  target,
});

function cells(row: Row): string[] {
  return [row.figure, row.value, row.reference, fmtRatio(row.ratio), row.target, fmtPass(row.pass)];
}

const HEADER = ['figure', 'value', 'reference', 'ratio', 'target', 'result'];

/** A fixed-width table for the terminal. */
export function textTable(rows: Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows: Row[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Percentile (0-100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values: number[]) => percentile(values, 50);

/**
 * Milliseconds with sub-millisecond precision, comparable across this process's worker threads: the
 * process's start on the real-time clock plus the monotonic time since. For intervals and stamps
 * within the bench; a time another process stamped (the Viber's `endedAt`, a shell's
 * $EPOCHREALTIME) is compared with `wallClock()` instead, since the two clocks part when the
 * real-time one steps (a paused and resumed VM: 27.6 s once here).
 */
export const now = () => performance.timeOrigin + performance.now();

/** The real-time clock, as other processes read it (Date.now), with a sub-millisecond part. */
export const wallClock = () => Date.now() + (performance.now() % 1);

export interface ClockStep {
  /** When it was noticed (real-time clock). */
  at: Date;
  /** How far the real-time clock moved against the monotonic one (ms; positive: forward). */
  ms: number;
  /** What the bench was measuring then. */
  during: string;
}

/**
 * Watches for the real-time clock stepping against the monotonic one: what a VM paused and resumed
 * (a snapshot) or a clock set by hand does. Every process and thread stalls for the pause, so a
 * figure measured across it says nothing of the code. Returns the steps seen so far.
 */
export function watchClockSteps(during: () => string, thresholdMs = 250, everyMs = 200): ClockStep[] {
  const steps: ClockStep[] = [];
  let offset = Date.now() - performance.now();
  setInterval(() => {
    const next = Date.now() - performance.now();
    if (Math.abs(next - offset) > thresholdMs)
      steps.push({ at: new Date(), ms: next - offset, during: during() });
    offset = next;
  }, everyMs).unref();
  return steps;
}
