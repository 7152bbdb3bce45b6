import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './document-version.ts';
import {
  isViberOnlineIn,
  readViberPresence,
  viberPresenceState,
  viberRunsOlderSchema,
} from './viber-presence.ts';

describe('[S7] Viber presence in awareness', () => {
  it('reads back what a Viber writes', () => {
    const state = viberPresenceState({ version: '0.4.0', viberId: 'vbr_1' });
    const presence = { online: true, version: '0.4.0', viberId: 'vbr_1', schemaVersion: SCHEMA_VERSION };
    expect(state).toEqual({ viber: presence });
    expect(readViberPresence(state)).toEqual(presence);
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
      schemaVersion: 0,
    });
    expect(isViberOnlineIn([{ viber: { online: false } }, null])).toBe(false);
  });

  it('[S12] a Viber whose presence names an older schema, or none (it predates the field), should be updated', () => {
    const current = readViberPresence(viberPresenceState({ version: '0.4.0', viberId: 'vbr_1' }))!;
    expect(viberRunsOlderSchema(current)).toBe(false);
    const older = viberPresenceState({ version: '0.3.0', viberId: 'vbr_1', schemaVersion: SCHEMA_VERSION });
    expect(viberRunsOlderSchema(readViberPresence(older)!, SCHEMA_VERSION + 1)).toBe(true);
    const beforeVersions = readViberPresence({
      viber: { online: true, version: '0.1.0', viberId: 'vbr_1' },
    })!;
    expect(beforeVersions.schemaVersion).toBe(0);
    expect(viberRunsOlderSchema(beforeVersions)).toBe(true);
    // A newer Viber is not "older": the app says nothing (it reads what it understands).
    const newer = viberPresenceState({
      version: '9.0.0',
      viberId: 'vbr_1',
      schemaVersion: SCHEMA_VERSION + 1,
    });
    expect(viberRunsOlderSchema(readViberPresence(newer)!)).toBe(false);
  });
});
