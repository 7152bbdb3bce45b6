import { describe, expect, it } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS, reconnectDelay } from './connection.ts';

describe('reconnect backoff', () => {
  it('[V3] a refused connection waits longer each time, with jitter, up to a cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 30].map((n) => reconnectDelay(n, () => 1));
    for (let i = 1; i < 5; i++) expect(ceilings[i]).toBe(2 * ceilings[i - 1]);
    expect(ceilings.at(-1)).toBe(RECONNECT_MAX_MS);
    expect(reconnectDelay(1, () => 0)).toBe(RECONNECT_BASE_MS); // jitter: between half and all of it
    const spread = new Set(Array.from({ length: 50 }, () => reconnectDelay(4)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
