import { describe, expect, it } from 'vitest';
import { isViberOnlineIn, readViberPresence, viberPresenceState } from './viber-presence.ts';

describe('[S7] Viber presence in awareness', () => {
  it('reads back what a Viber writes', () => {
    const state = viberPresenceState({ version: '0.4.0', viberId: 'vbr_1' });
    expect(state).toEqual({ viber: { online: true, version: '0.4.0', viberId: 'vbr_1' } });
    expect(readViberPresence(state)).toEqual({ online: true, version: '0.4.0', viberId: 'vbr_1' });
    expect(isViberOnlineIn([{ user: 'x' }, state])).toBe(true);
  });

  it('[S6] reads anything else a peer set as not online, never throwing', () => {
    for (const hostile of [
      null,
      7,
      'viber',
      {},
      { viber: null },
      { viber: 'yes' },
      { viber: { online: 'true' } },
    ])
      expect(readViberPresence(hostile)?.online ?? false).toBe(false);
    expect(readViberPresence({ viber: { online: true, version: 3 } })).toEqual({
      online: true,
      version: '',
      viberId: '',
    });
    expect(isViberOnlineIn([{ viber: { online: false } }, null])).toBe(false);
  });
});
