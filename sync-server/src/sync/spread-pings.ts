// crossws, the websocket layer of Hocuspocus 4, checks that sockets are alive by pinging every one of
// them in a single loop every 30 s (its idleTimeout, which Hocuspocus does not expose). At 9,000
// sockets that loop writes 9,000 frames in one go: 150-350 ms in which the server relays no update,
// so every 30 s the edits of that moment arrive late (bench/ANALYSIS.md, "Many users"). The same
// pings, each sent at its socket's own offset after the loop asks for it, cost as much and block
// nothing. The liveness check is unchanged: a socket is terminated when the next loop, 30 s later,
// finds no pong (nor any message) since the previous one; an offset below 10 s leaves 20 s for it.
import type { Extension } from '@hocuspocus/server';

/** Each socket's pings go out this much later at most (a random offset per socket, kept). */
export const PING_SPREAD_MS = 10_000;

const OPEN = 1;
const spread = new WeakSet<object>();

interface Pingable {
  ping: (...args: unknown[]) => void;
  readyState: number;
}

const isPingable = (ws: unknown): ws is Pingable =>
  typeof ws === 'object' &&
  ws !== null &&
  typeof (ws as Partial<Pingable>).ping === 'function' &&
  typeof (ws as Partial<Pingable>).readyState === 'number';

/**
 * Makes `webSocket.ping` send its frame `offset` ms later (skipped if the socket closed meanwhile).
 * Once per socket; anything that is not a `ws` WebSocket is left alone.
 */
export function spreadPings(webSocket: unknown, offset = Math.random() * PING_SPREAD_MS): void {
  if (!isPingable(webSocket) || spread.has(webSocket)) return;
  spread.add(webSocket);
  const ping = webSocket.ping.bind(webSocket);
  webSocket.ping = (...args: unknown[]) => {
    setTimeout(() => {
      if (webSocket.readyState !== OPEN) return;
      try {
        ping(...args);
      } catch {
        // Closing in between: the next liveness loop terminates it, as crossws does with its own errors.
      }
    }, offset).unref();
  };
}

/** Spreads the pings of every socket that opened a document (the sockets there are thousands of). */
export function spreadPingsExtension(offset = () => Math.random() * PING_SPREAD_MS): Extension {
  return {
    extensionName: 'openviber-spread-pings',
    async connected({ connection }) {
      spreadPings(connection.webSocket, offset());
    },
  };
}
