// Websockets per user at once ([S16], MAX_SOCKETS_PER_USER): each socket may hold up to
// MAX_DOCS_PER_CONNECTION documents, so without a bound one account could hold any number of them.
// A socket is counted when it first authenticates a document and freed when it closes. The user's
// own devices and the user's Vibers have a budget each, so a runaway tab cannot take its Vibers
// offline, nor a Viber the user's devices.
import type { Duplex } from 'node:stream';
import type { Principal } from '@openviber/shared';
import { MAX_SOCKETS_PER_USER } from '../limits.ts';

/** The budget a principal's sockets count in. */
export const budgetOf = (p: Principal): string => `${p.userId}/${p.kind === 'viber' ? 'vibers' : 'devices'}`;

export class UserSockets {
  /** Open sockets, each with the budgets it is counted in. */
  readonly #open = new Map<string, Set<string>>();
  readonly #counts = new Map<string, number>();
  readonly max: number;

  constructor(max = MAX_SOCKETS_PER_USER) {
    this.max = max;
  }

  /** Called on upgrade: socket `id` is open until `socket` closes, which frees what it counts in. */
  track(id: string, socket: Duplex): void {
    this.#open.set(id, new Set());
    socket.once('close', () => this.#release(id));
  }

  /** Counts socket `id` for `principal`; false (nothing recorded) when that budget is full. */
  admit(id: string, principal: Principal): boolean {
    const budgets = this.#open.get(id);
    const budget = budgetOf(principal);
    // A socket that closed meanwhile holds nothing; one already counted is counted once.
    if (!budgets || budgets.has(budget)) return true;
    const count = this.#counts.get(budget) ?? 0;
    if (count >= this.max) return false;
    budgets.add(budget);
    this.#counts.set(budget, count + 1);
    return true;
  }

  #release(id: string): void {
    for (const budget of this.#open.get(id) ?? []) {
      const left = (this.#counts.get(budget) ?? 1) - 1;
      if (left > 0) this.#counts.set(budget, left);
      else this.#counts.delete(budget);
    }
    this.#open.delete(id);
  }
}
