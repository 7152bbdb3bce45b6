import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefusalLog } from './refusal-log.ts';

describe('refusal log', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('[S17] a flood from one address: one line at once, then one line per window with the count', () => {
    const lines: string[] = [];
    const log = new RefusalLog((l) => lines.push(l), 60_000, 100);
    for (let i = 0; i < 1000; i++) log.refused('10.0.0.1', i % 2 ? 'malformed message' : 'too big');
    expect(lines).toEqual(['websocket from 10.0.0.1 refused: too big']);
    vi.advanceTimersByTime(60_000);
    expect(lines.slice(1)).toEqual([
      'websocket from 10.0.0.1: 999 more refused in 60 s (last: malformed message)',
    ]);
    // Still flooding: the next window is counted into one line too.
    for (let i = 0; i < 500; i++) log.refused('10.0.0.1', 'too big');
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/500 more refused in 60 s/);
    // Quiet for a window: forgotten, and the next refusal is logged at once again.
    vi.advanceTimersByTime(120_000);
    log.refused('10.0.0.1', 'too big');
    expect(lines).toHaveLength(4);
    log.close();
  });

  it('[S17] past so many addresses in a window, the others share one line', () => {
    const lines: string[] = [];
    const log = new RefusalLog((l) => lines.push(l), 60_000, 3);
    for (let a = 0; a < 50; a++) log.refused(`10.0.0.${a}`, 'too big');
    expect(lines).toEqual([
      'websocket from 10.0.0.0 refused: too big',
      'websocket from 10.0.0.1 refused: too big',
      'websocket from 10.0.0.2 refused: too big',
      'websocket from other addresses refused: too big',
    ]);
    vi.advanceTimersByTime(60_000);
    expect(lines.slice(4)).toEqual([
      'websocket from other addresses: 46 more refused in 60 s (last: too big)',
    ]);
    log.close();
  });
});
