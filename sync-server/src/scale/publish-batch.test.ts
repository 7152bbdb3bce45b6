import { afterEach, describe, expect, it, vi } from 'vitest';
import { PublishBatch, readBatch } from './publish-batch.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('PublishBatch', () => {
  afterEach(() => vi.useRealTimers());

  it('[P3] publishes what a window gathered as one message, in order, and nothing for an empty window', () => {
    vi.useFakeTimers();
    const sent: Uint8Array[] = [];
    const batch = new PublishBatch({ publish: (b) => sent.push(b), flushMs: 50 });
    batch.add(bytes(3, 1));
    batch.add(bytes(2, 2));
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(readBatch(sent[0]!)).toEqual([bytes(3, 1), bytes(2, 2)]);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(1);
  });

  it('[P3] publishes early once a batch reaches its byte bound, and never holds more than the bound plus one entry', () => {
    vi.useFakeTimers();
    const sent: Uint8Array[] = [];
    const batch = new PublishBatch({ publish: (b) => sent.push(b), flushMs: 50, maxBatchBytes: 100 });
    for (let i = 0; i < 10; i++) batch.add(bytes(30, i));
    // 30+30+30 < 100; the 4th would pass it, so the three go first; and so on.
    expect(sent.map((b) => readBatch(b).length)).toEqual([3, 3, 3]);
    vi.advanceTimersByTime(50);
    expect(sent.map((b) => readBatch(b).length)).toEqual([3, 3, 3, 1]);
    expect(sent.flatMap(readBatch).map((e) => e[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    batch.add(bytes(500, 7)); // one entry larger than the bound goes alone, at once
    expect(readBatch(sent[4]!)).toEqual([bytes(500, 7)]);
  });

  it('[P3] publishes what waits when closed (a closing process announces its departures), then takes nothing more', () => {
    const sent: Uint8Array[] = [];
    const batch = new PublishBatch({ publish: (b) => sent.push(b), flushMs: 60_000 });
    batch.add(bytes(1, 9));
    batch.close();
    batch.add(bytes(1, 8));
    expect(sent.map(readBatch)).toEqual([[bytes(1, 9)]]);
  });

  it('refuses bytes that are not a batch: a count past the end, or bytes after the last entry', () => {
    expect(() => readBatch(Uint8Array.of(5, 1, 0))).toThrow();
    expect(() => readBatch(Uint8Array.of(1, 1, 0, 42))).toThrow(/trailing/);
    expect(readBatch(Uint8Array.of(0))).toEqual([]);
  });
});
