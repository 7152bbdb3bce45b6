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

/** Wall-clock milliseconds with sub-millisecond precision, comparable across worker threads. */
export const now = () => performance.timeOrigin + performance.now();
