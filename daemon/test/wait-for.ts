// Polls a condition instead of sleeping a fixed time (the server harness's waitFor, options-style).
import { waitFor as poll } from '../../sync-server/testing/peers.ts';

/** Resolves with the first truthy value of `check`; rejects after `timeoutMs`. */
export function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 20_000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  return poll(check, what, timeoutMs);
}
