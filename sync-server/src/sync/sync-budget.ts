// Each SyncStep1 a peer sends makes the server encode what that peer lacks — for a new peer, the
// whole document — with no bound on how often: one account could keep a core busy re-encoding its
// largest document. Here each SyncStep1 is charged the items the document holds (what its encoding
// walks; at least SYNC_MIN_CHARGE) against a budget per principal per minute (SYNC_ITEMS_PER_MINUTE;
// a user's devices and a user's Vibers apart, as their socket budgets). A peer that syncs its
// documents when it connects spends a small part of it; past it the socket is closed with
// CLOSE_SYNC_BUDGET and the refusal logged, and the provider reconnects later. Per process.
import type { Principal } from '@openviber/shared';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type * as Y from 'yjs';
import { SYNC_ITEMS_PER_MINUTE, SYNC_MIN_CHARGE } from '../limits.ts';
import { budgetOf } from './user-sockets.ts';

/** Websocket close code: the principal's sync requests are over their budget for now. */
export const CLOSE_SYNC_BUDGET = 4429;

/** Items (Yjs structs) `doc` holds: what encoding it for a new peer walks. O(clients). */
export function itemsOf(doc: Y.Doc): number {
  let items = 0;
  for (const structs of doc.store.clients.values()) items += structs.length;
  return items;
}

export class SyncBudget {
  readonly #budget: PrincipalBudget;
  readonly #points: number;

  constructor(itemsPerMinute = SYNC_ITEMS_PER_MINUTE) {
    this.#points = itemsPerMinute;
    this.#budget = new PrincipalBudget(itemsPerMinute);
  }

  /**
   * Charges one SyncStep1 on `doc` to `principal`'s budget: resolves true while within it, false
   * once over. A request larger than the whole budget is charged the budget (it is let through once
   * a minute, so a document larger than the budget still syncs).
   */
  async charge(principal: Principal, doc: Y.Doc): Promise<boolean> {
    return this.#budget.within(principal, Math.min(this.#points, Math.max(SYNC_MIN_CHARGE, itemsOf(doc))));
  }
}

/** Points per minute for each principal (a user's devices and a user's Vibers apart). */
export class PrincipalBudget {
  readonly #limiter: RateLimiterMemory;

  constructor(perMinute: number) {
    this.#limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** True once `principal` went over the budget (and until its minute is up); counts nothing. */
  async spent(principal: Principal): Promise<boolean> {
    const used = await this.#limiter.get(budgetOf(principal));
    return used !== null && used.consumedPoints > this.#limiter.points;
  }

  /** Charges `points` to `principal`: true while within the budget, false once over it. */
  async within(principal: Principal, points = 1): Promise<boolean> {
    try {
      await this.#limiter.consume(budgetOf(principal), points);
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  }
}
