// The Vibers model reads each Viber's presence from its document's awareness: online, and whether it
// runs an older version than this app ([S12]). A real Y.Doc per Viber; the provider is reduced to
// what the model uses (its awareness and its status event).
import { signal } from '@preact/signals';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SCHEMA_VERSION, viberPresenceState, type ViberId, type ViberRecord } from '@openviber/shared';
import type { DocStore } from '../sync/doc-store.ts';
import { createVibersModel } from './vibers-model.ts';

type Listener = (...args: never[]) => void;

/** An awareness as the model reads it: our own state (client 1) and the peers' states. */
function awarenessOf() {
  const states = new Map<number, unknown>([[1, {}]]);
  const listeners = new Set<Listener>();
  return {
    clientID: 1,
    getStates: () => states,
    on: (_event: 'change', f: Listener) => listeners.add(f),
    off: (_event: 'change', f: Listener) => listeners.delete(f),
    /** A peer (the Viber's daemon) sets its state, as a remote awareness update would. */
    peer(clientId: number, state: unknown) {
      if (state === null) states.delete(clientId);
      else states.set(clientId, state);
      for (const f of listeners) (f as () => void)();
    },
  };
}

function setup() {
  const awareness = awarenessOf();
  const statusListeners = new Set<(e: { status: string }) => void>();
  const browserOnline = signal(true);
  const store = {
    browserOnline,
    open: (name: string) => ({
      name,
      doc: new Y.Doc(),
      provider: {
        awareness,
        on: (_event: 'status', f: (e: { status: string }) => void) => statusListeners.add(f),
        off: (_event: 'status', f: (e: { status: string }) => void) => statusListeners.delete(f),
      },
      loaded: Promise.resolve(),
      release: () => undefined,
    }),
  } as unknown as DocStore;
  const record: ViberRecord = {
    id: 'vbr_1' as ViberId,
    name: 'laptop',
    publicKey: '',
    createdAt: 1,
    lastSeenAt: 1,
  };
  const model = createVibersModel(store, 'usr_1', signal([record]));
  const view = () => model.views.value.get('vbr_1')!;
  const status = (s: string) => statusListeners.forEach((f) => f({ status: s }));
  return { model, view, awareness, status, browserOnline };
}

describe('Vibers model: presence and version', () => {
  it('[S7] [S12] a Viber running this schema is online and needs no update', () => {
    const t = setup();
    expect(t.view()).toMatchObject({ online: false, olderVersion: false });
    t.awareness.peer(2, viberPresenceState({ version: '0.4.0', viberId: 'vbr_1' }));
    expect(t.view()).toMatchObject({ online: true, presence: 'online', olderVersion: false });
    t.model.dispose();
  });

  it('[S12] a Viber whose presence has no schema version (from before versions existed) runs an older version', () => {
    const t = setup();
    t.awareness.peer(2, { viber: { online: true, version: '0.1.0', viberId: 'vbr_1' } });
    expect(t.view()).toMatchObject({ online: true, olderVersion: true });
    // Updated: the same Viber reconnects with a presence that names this app's schema.
    t.awareness.peer(2, null);
    t.awareness.peer(
      3,
      viberPresenceState({ version: '0.5.0', viberId: 'vbr_1', schemaVersion: SCHEMA_VERSION }),
    );
    expect(t.view()).toMatchObject({ online: true, olderVersion: false });
    t.model.dispose();
  });

  it('[S12] says nothing of a Viber it cannot see: disconnected, or this device offline', () => {
    const t = setup();
    t.awareness.peer(2, { viber: { online: true, version: '0.1.0', viberId: 'vbr_1' } });
    expect(t.view().olderVersion).toBe(true);
    t.browserOnline.value = false;
    expect(t.view()).toMatchObject({ presence: 'unknown', olderVersion: false });
    t.browserOnline.value = true;
    expect(t.view().olderVersion).toBe(true);
    t.status('disconnected');
    expect(t.view()).toMatchObject({ online: false, olderVersion: false });
    t.status('connected');
    expect(t.view().olderVersion).toBe(true);
    t.model.dispose();
  });
});
