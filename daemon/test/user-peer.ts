// The user's side as a real websocket peer: reads the Viber's documents (read-only) and can write the
// workspace directly, as the app does.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { QuietWebSocket } from '../../sync-server/testing/peers.ts';
import * as Y from 'yjs';
import { afterAll } from 'vitest';

export interface UserPeer {
  /** Opens (once) and returns a synced document. */
  doc(name: string): Promise<Y.Doc>;
  /** Every document opened so far, as JSON, to search for leaks. */
  dumpAll(): string;
  awareness(name: string): unknown[];
  destroy(): void;
}

const peers: UserPeer[] = [];
afterAll(() => peers.splice(0).forEach((p) => p.destroy()));

export function userPeer(wsUrl: string, token: string): UserPeer {
  const socket = new HocuspocusProviderWebsocket({
    url: wsUrl,
    WebSocketPolyfill: QuietWebSocket,
    delay: 50,
    minDelay: 50,
    maxDelay: 500,
  });
  const open = new Map<string, { provider: HocuspocusProvider; synced: Promise<Y.Doc> }>();
  const peer: UserPeer = {
    doc(name) {
      let entry = open.get(name);
      if (!entry) {
        const doc = new Y.Doc();
        let resolve!: (d: Y.Doc) => void;
        const synced = new Promise<Y.Doc>((r) => (resolve = r));
        const provider = new HocuspocusProvider({
          websocketProvider: socket,
          name,
          document: doc,
          token,
          onSynced: () => resolve(doc),
        });
        provider.attach();
        entry = { provider, synced };
        open.set(name, entry);
      }
      return entry.synced;
    },
    dumpAll() {
      return [...open.values()].map((e) => JSON.stringify(e.provider.document.toJSON())).join('\n');
    },
    awareness(name) {
      const states = open.get(name)?.provider.awareness?.getStates();
      return states ? [...states.values()] : [];
    },
    destroy() {
      for (const e of open.values()) e.provider.destroy();
      socket.destroy();
    },
  };
  peers.push(peer);
  return peer;
}
