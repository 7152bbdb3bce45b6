// [P2] A peer authenticating during a short store outage waits for the store instead of being refused:
// a refused document stays unauthenticated on its socket until the socket reconnects, which a socket
// busy with other documents may never do. Longer outages still fail, before AUTH_DEADLINE_MS.
import { isStoreUnavailable } from '../storage/store-unavailable.ts';

/** Longest a websocket authentication waits for an unavailable store (below AUTH_DEADLINE_MS). */
export const AUTH_STORE_WAIT_MS = 8_000;
const RETRY_EVERY_MS = 250;

/** Runs `fn`, retrying while it fails because the store is unavailable, for at most `waitMs`. */
export async function waitForStore<T>(fn: () => Promise<T>, waitMs = AUTH_STORE_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() + RETRY_EVERY_MS > deadline) throw error;
      await new Promise((r) => setTimeout(r, RETRY_EVERY_MS));
    }
  }
}
