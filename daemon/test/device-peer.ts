// A user's device as the app is one ([V1]): a real HocuspocusProvider over its own websocket, and its
// own durable copy of the document (the app keeps it in IndexedDB; here the Viber's append-only,
// fsync'd file store) from which it loads before it connects. A sync after a reconnect therefore
// re-sends whatever the server acknowledged and then lost. `disconnect({ reload: true })` drops the
// in-memory copy too, as a closed tab does: the next `connect` starts from what the disk holds.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { afterAll } from 'vitest';
import { QuietWebSocket } from '../../sync-server/testing/peers.ts';
import { persistDoc, type PersistedDoc } from '../src/local-doc-store.ts';
import { tempDir } from './temp-dir.ts';

export interface DevicePeer {
  /** The device's copy (loaded from its disk if it was dropped); edits to it are on disk at once. */
  doc(): Y.Doc;
  /** Connects (no-op while connected); resolves after the first sync with the server. */
  connect(): Promise<void>;
  readonly connected: boolean;
  /** True while connected and the server has acknowledged every local change. */
  settled(): boolean;
  disconnect(options?: { reload?: boolean }): void;
  destroy(): void;
}

const devices: DevicePeer[] = [];
afterAll(() => devices.splice(0).forEach((d) => d.destroy()));

export function devicePeer(wsUrl: string, token: string, name: string): DevicePeer {
  const dir = tempDir('device-');
  let local: { doc: Y.Doc; persisted: PersistedDoc } | null = null;
  let link: { socket: HocuspocusProviderWebsocket; provider: HocuspocusProvider } | null = null;

  const load = () => {
    if (!local) {
      const doc = new Y.Doc();
      local = { doc, persisted: persistDoc(dir, name, doc) };
    }
    return local;
  };
  const device: DevicePeer = {
    doc: () => load().doc,
    connect() {
      if (link) return Promise.resolve();
      const { doc } = load();
      const socket = new HocuspocusProviderWebsocket({
        url: wsUrl,
        WebSocketPolyfill: QuietWebSocket,
        delay: 50,
        minDelay: 50,
        maxDelay: 500,
      });
      let synced!: () => void;
      const first = new Promise<void>((r) => (synced = r));
      const provider = new HocuspocusProvider({
        websocketProvider: socket,
        name,
        document: doc,
        token,
        onSynced: ({ state }) => state && synced(),
      });
      provider.attach();
      link = { socket, provider };
      return first;
    },
    get connected() {
      return link !== null;
    },
    settled() {
      return !!link && link.provider.isSynced && !link.provider.hasUnsyncedChanges;
    },
    disconnect({ reload = false } = {}) {
      link?.provider.destroy();
      link?.socket.destroy();
      link = null;
      if (reload && local) {
        local.persisted.detach();
        local.doc.destroy();
        local = null;
      }
    },
    destroy() {
      device.disconnect({ reload: true });
    },
  };
  devices.push(device);
  return device;
}
