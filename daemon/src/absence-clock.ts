// How long things have been absent from the workspace, counted only while it is connected and
// synced ([V5]). A task or binding missing from the workspace without a deletion entry is either
// deleted long ago (the log was trimmed past MAX_DELETIONS) or lost by a server killed before it
// stored it, until the device that made it re-sends it. Time with the server is what gives that
// device its chance, so time offline does not count, and a pass after a long gap (a suspended
// machine) counts at most MAX_CREDIT_MS.
//
// Counted in memory: a daemon restart starts every count again, which only delays a removal.

/** The most one pass adds: passes come every few seconds while something waits ([V5]). */
const MAX_CREDIT_MS = 30_000;

export class AbsenceClock {
  readonly #graceMs: number;
  readonly #now: () => number;
  /** Key → synced time (ms) it has been absent so far. */
  readonly #absent = new Map<string, number>();
  readonly #seen = new Set<string>();
  /** When the last pass ran while synced (undefined after one that was not). */
  #lastSynced: number | undefined;

  constructor(graceMs: number, now: () => number = Date.now) {
    this.#graceMs = graceMs;
    this.#now = now;
  }

  /**
   * Starts a pass: the time since the previous pass counts for everything absent when the workspace
   * was synced at both passes. Keys not reported absent during the previous pass are forgotten (they
   * came back, or they were removed).
   */
  tick(synced: boolean): void {
    const now = this.#now();
    const credit =
      synced && this.#lastSynced !== undefined ? Math.min(now - this.#lastSynced, MAX_CREDIT_MS) : 0;
    this.#lastSynced = synced ? now : undefined;
    for (const key of this.#absent.keys()) {
      if (!this.#seen.has(key)) this.#absent.delete(key);
      else this.#absent.set(key, this.#absent.get(key)! + Math.max(0, credit));
    }
    this.#seen.clear();
  }

  /** `key` is absent in this pass; true once it has been absent for the grace period. */
  expired(key: string): boolean {
    this.#seen.add(key);
    const absentMs = this.#absent.get(key);
    if (absentMs === undefined) this.#absent.set(key, 0);
    return (absentMs ?? 0) >= this.#graceMs;
  }
}
