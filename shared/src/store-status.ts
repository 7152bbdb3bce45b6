// [V1] The Viber asks the server whether its changes are stored, over Hocuspocus stateless messages
// on any document it holds open: `{"t":"stored?","id":n,"docs":[names]}`, answered on the same
// document with `{"t":"stored","id":n,"unstored":[names]}` — the asked documents this server process
// still holds a change of that it has not stored (changed since its last store, or a store in flight
// or failing), and those the asker may not read. A document the process does not hold is stored: the
// server never unloads one with an unstored change. Each change asked about was acknowledged before
// the question was sent, so an answer that leaves a document out says that change is stored.

/** Documents one question may name; more are asked in the next one. */
export const MAX_STORE_QUESTION_DOCS = 200;

export interface StoreQuestion {
  t: 'stored?';
  id: number;
  docs: string[];
}

export interface StoreAnswer {
  t: 'stored';
  id: number;
  unstored: string[];
}

const isNames = (value: unknown, max: number): value is string[] =>
  Array.isArray(value) &&
  value.length <= max &&
  value.every((name) => typeof name === 'string' && name.length <= 512);

function parse(payload: string): Record<string, unknown> | null {
  if (payload.length > 256 * 1024) return null;
  try {
    const value: unknown = JSON.parse(payload);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The question in a stateless payload, or null for anything else (other messages, hostile values). */
export function parseStoreQuestion(payload: string): StoreQuestion | null {
  const v = parse(payload);
  if (v?.t !== 'stored?' || !Number.isSafeInteger(v.id) || !isNames(v.docs, MAX_STORE_QUESTION_DOCS))
    return null;
  return { t: 'stored?', id: v.id as number, docs: v.docs };
}

/** The answer in a stateless payload, or null. */
export function parseStoreAnswer(payload: string): StoreAnswer | null {
  const v = parse(payload);
  if (v?.t !== 'stored' || !Number.isSafeInteger(v.id) || !isNames(v.unstored, MAX_STORE_QUESTION_DOCS))
    return null;
  return { t: 'stored', id: v.id as number, unstored: v.unstored };
}
