// Branded id types: an EnvironmentId cannot be passed where a ViberId is expected.
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, 'UserId'>;
export type EnvironmentId = Brand<string, 'EnvironmentId'>;
export type ViberId = Brand<string, 'ViberId'>;
export type BindingId = Brand<string, 'BindingId'>;
export type TaskId = Brand<string, 'TaskId'>;
export type MessageId = Brand<string, 'MessageId'>;

/** Every id in the system matches this: safe in document names, paths and URLs. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A new random id (about 119 bits), with a short prefix telling what it names. */
export function newId<T extends string>(prefix: string): T {
  const bytes = new Uint8Array(20);
  globalThis.crypto.getRandomValues(bytes);
  let out = prefix + '_';
  for (const b of bytes) out += ALPHABET[b % 62];
  return out as T;
}

/** True when `value` can be used as an id (document names, paths). */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
