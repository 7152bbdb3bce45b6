// Two machines named after the same hostname must not look identical.
import { describe, expect, it } from 'vitest';
import type { ViberRecord } from '@openviber/shared';
import { viberLabel } from './viber-label.ts';

const viber = (id: string, name: string, publicKey: string) =>
  ({ id, name, publicKey, createdAt: 0, lastSeenAt: 0 }) as ViberRecord;

describe('Viber labels', () => {
  it('adds the start of the key only when another Viber has the same name', () => {
    const a = viber('vb_a', 'laptop', 'AbCdEf12+/345678==');
    const b = viber('vb_b', 'laptop', 'ZyXw9876+/abcdef==');
    const c = viber('vb_c', 'desktop', 'QQQQQQQQ');
    expect(viberLabel(c, [a, b, c])).toBe('desktop');
    expect(viberLabel(a, [a, b, c])).toBe('laptop · key AbCdEf12');
    expect(viberLabel(b, [a, b, c])).toBe('laptop · key ZyXw9876');
  });
});
