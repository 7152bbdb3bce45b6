import { describe, expect, it } from 'vitest';
import { ControlEvent, controlLogLine } from './events.ts';

describe('control-plane event names in logs', () => {
  it('writes the event name and its fields in order, quoting values that hold spaces', () => {
    expect(controlLogLine(ControlEvent.environmentStatus, { binding: 'bnd_1', state: 'ready' })).toBe(
      'environment:status binding=bnd_1 state=ready',
    );
    expect(
      controlLogLine(ControlEvent.taskError, { task: 'tsk_1', error: 'exit 3: "boom"', skipped: undefined }),
    ).toBe('task:error task=tsk_1 error="exit 3: \\"boom\\""');
    expect(controlLogLine(ControlEvent.environmentPrepare, { empty: '' })).toBe(
      'environment:prepare empty=""',
    );
  });
});
