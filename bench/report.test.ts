import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchClockSteps } from './report.ts';

describe('the bench notices a paused machine', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports the real-time clock stepping against the monotonic one, with what was measured then', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'Date', 'performance'] });
    let measuring = 'fan-out';
    const steps = watchClockSteps(() => measuring);
    // Both clocks advancing together (a busy or idle machine) is no step.
    vi.advanceTimersByTime(10_000);
    expect(steps).toEqual([]);
    // A VM paused for 27.6 s and resumed: the real-time clock jumps, the monotonic one does not.
    measuring = 'many';
    vi.setSystemTime(Date.now() + 27_600);
    vi.advanceTimersByTime(400);
    expect(steps).toHaveLength(1);
    expect(steps[0]!.during).toBe('many');
    expect(steps[0]!.ms).toBeCloseTo(27_600, -1);
    // NTP-sized corrections stay below the threshold; a step back is reported too.
    vi.setSystemTime(Date.now() + 50);
    vi.advanceTimersByTime(400);
    vi.setSystemTime(Date.now() - 5_000);
    vi.advanceTimersByTime(400);
    expect(steps.map((s) => Math.round(s.ms / 100) * 100)).toEqual([27_600, -5_000]);
  });
});
