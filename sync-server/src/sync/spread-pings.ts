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

/**
 * Pings waiting for their moment go in slots this wide, one timer per slot. A timer per ping was
 * 4,500 Timeout objects made in crossws's one loop per process at 3,000 users, each living up to
 * 10 s: they survived the young generation, and promoting them made that loop the largest GC pause
 * of the 30 s (bench/ANALYSIS.md, "2 processes").
 */
export const PING_SLOT_MS = 100;

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

/** A socket's one waiting ping, made once per socket: a liveness loop allocates nothing per socket. */
interface Waiting {
  ws: Pingable;
  ping: (...args: unknown[]) => void;
  args: unknown[];
  queued: boolean;
}

/** Slot index → the pings it sends when its timer fires. */
const slots = new Map<number, Waiting[]>();

function sendSlot(slot: number): void {
  const waiting = slots.get(slot) ?? [];
  slots.delete(slot);
  for (const entry of waiting) {
    entry.queued = false;
    if (entry.ws.readyState !== OPEN) continue;
    try {
      entry.ping(...entry.args);
    } catch {
      // Closing in between: the next liveness loop terminates it, as crossws does with its own errors.
    }
  }
}

/**
 * Makes `webSocket.ping` send its frame about `offset` ms later: with the other pings of its
 * PING_SLOT_MS slot, when the timer the slot's first ping armed fires (within PING_SLOT_MS of its own
 * offset); skipped if the socket closed meanwhile. Once per socket; anything that is not a `ws`
 * WebSocket is left alone.
 */
export function spreadPings(webSocket: unknown, offset = Math.random() * PING_SPREAD_MS): void {
  if (!isPingable(webSocket) || spread.has(webSocket)) return;
  spread.add(webSocket);
  const entry: Waiting = { ws: webSocket, ping: webSocket.ping.bind(webSocket), args: [], queued: false };
  const slot = Math.floor(offset / PING_SLOT_MS);
  webSocket.ping = (...args: unknown[]) => {
    entry.args = args;
    if (entry.queued) return; // asked again before it went out: one ping answers both
    entry.queued = true;
    const waiting = slots.get(slot);
    if (waiting) return void waiting.push(entry);
    slots.set(slot, [entry]);
    setTimeout(sendSlot, offset, slot).unref();
  };
}

/** How many slot timers are waiting (for tests: at most one per slot, whatever the sockets). */
export const pendingPingSlots = (): number => slots.size;

/** Spreads the pings of every socket that opened a document (the sockets there are thousands of). */
export function spreadPingsExtension(offset = () => Math.random() * PING_SPREAD_MS): Extension {
  return {
    extensionName: 'openviber-spread-pings',
    async connected({ connection }) {
      spreadPings(connection.webSocket, offset());
    },
  };
}
