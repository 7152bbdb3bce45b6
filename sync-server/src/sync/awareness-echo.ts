// A device's awareness renewal is relayed to the document's other connections, not back to the
// connection it came from: Hocuspocus sends every change to every connection, the sender's included,
// and y-protocols ignores a state it already holds at that clock. With 3,000 users' devices renewing
// every 15 s that echo was a third of the awareness messages a server wrote (a socket write each)
// and a decode plus JSON.parse on every device for nothing (bench/ANALYSIS.md, "Many users").
//
// The one place awareness goes out, Document.broadcastAwarenessUpdate, is replaced per document:
// the same message to every connection except those that own every client in it (Hocuspocus tracks
// which awareness clients each connection added). A batch that mixes several connections' clients
// still goes to all of them; removals reach everyone (the owner's entry is gone by then).
import { OutgoingMessage, type Connection, type Document, type Extension } from '@hocuspocus/server';

interface DocumentInternals {
  broadcast?: (encode: (address: string) => Uint8Array, filter?: (connection: Connection) => boolean) => void;
  connections?: Map<Connection, { clients?: Set<number> }>;
  broadcastAwarenessUpdate?: (changedClients: number[]) => void;
}

/** Installs the filter on `document`; false (and the echo stays) if Hocuspocus's internals moved. */
export function skipOwnAwarenessEcho(document: Document): boolean {
  const d = document as unknown as DocumentInternals;
  const { broadcast, connections } = d;
  if (typeof broadcast !== 'function' || !(connections instanceof Map)) return false;
  if (typeof d.broadcastAwarenessUpdate !== 'function') return false;
  d.broadcastAwarenessUpdate = (changedClients) => {
    broadcast.call(
      document,
      (address) =>
        new OutgoingMessage(address)
          .createAwarenessUpdateMessage(document.awareness, changedClients)
          .toUint8Array(),
      (connection) => {
        const own = connections.get(connection)?.clients;
        return !own || !changedClients.every((id) => own.has(id));
      },
    );
  };
  return true;
}

export function awarenessEchoExtension(log: (msg: string) => void): Extension {
  let warned = false;
  return {
    extensionName: 'openviber-awareness-echo',
    async afterLoadDocument({ document }) {
      if (!skipOwnAwarenessEcho(document) && !warned) {
        warned = true;
        log('awareness: this Hocuspocus version has no per-connection broadcast; own renewals are echoed');
      }
    },
  };
}
