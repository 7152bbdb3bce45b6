// Which Vibers hold a connection to their own document on this process (design §6 `online`).
// Counts are per process: with several processes, a Viber connected elsewhere reads offline here
// until its document's awareness reaches this process too (see DocGateway.isViberConnected).

export class Presence {
  readonly #counts = new Map<string, number>();

  add(viberId: string): void {
    this.#counts.set(viberId, (this.#counts.get(viberId) ?? 0) + 1);
  }

  remove(viberId: string): void {
    const n = (this.#counts.get(viberId) ?? 0) - 1;
    if (n > 0) this.#counts.set(viberId, n);
    else this.#counts.delete(viberId);
  }

  isOnline(viberId: string): boolean {
    return this.#counts.has(viberId);
  }
}
