// What this device has trusted (design §5b, [T10]/[T11]), kept in IndexedDB beside the signing key and,
// like it, not deleted by sign-out (a re-sign-in must not trust the server's word afresh): per
// environment the newest execution spec it knows was validly signed, per Viber the key it confirmed.
// The server never sees these; they are what the app checks the server's copy against.
import type { EnvironmentSpecIntent } from '@openviber/shared';

/** The newest validly signed spec this device knows of an environment (signed here, or seen verified). */
export interface KnownSpec {
  version: number;
  spec: EnvironmentSpecIntent;
}

export interface TrustRecords {
  specs: Record<string, KnownSpec>;
  /** Per Viber id: the X25519 key this device confirmed (first seen at onboarding or mapping, or trusted after a check). */
  viberKeys: Record<string, string>;
}

/** Where the records live: IndexedDB in the app, memory in tests. */
export interface TrustStore {
  load(): Promise<TrustRecords>;
  putSpec(envId: string, known: KnownSpec): Promise<void>;
  putViberKey(viberId: string, publicKey: string): Promise<void>;
}

const DB_NAME = 'openviber-trust';
const SPECS = 'specs';
const VIBER_KEYS = 'viber-keys';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(SPECS);
      request.result.createObjectStore(VIBER_KEYS);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB refused to open'));
  });
}

async function run<T>(
  store: string,
  mode: IDBTransactionMode,
  act: (s: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = act(tx.objectStore(store));
      // Resolved once the transaction commits: a record is relied on only when it is on disk.
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  } finally {
    db.close();
  }
}

const isKnownSpec = (v: unknown): v is KnownSpec =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger((v as KnownSpec).version) &&
  typeof (v as KnownSpec).spec === 'object' &&
  (v as KnownSpec).spec !== null;

/** The records of `userId` in this browser (keys are `<userId>/<entity id>`). */
export function indexedDbTrustStore(userId: string): TrustStore {
  const prefix = `${userId}/`;
  const range = () => IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  const entries = async (store: string) => {
    const [keys, values] = await Promise.all([
      run(store, 'readonly', (s) => s.getAllKeys(range())),
      run(store, 'readonly', (s) => s.getAll(range())),
    ]);
    return keys.map((k, i) => [String(k).slice(prefix.length), values[i]] as const);
  };
  return {
    async load() {
      const records: TrustRecords = { specs: {}, viberKeys: {} };
      for (const [id, value] of await entries(SPECS)) if (isKnownSpec(value)) records.specs[id] = value;
      for (const [id, value] of await entries(VIBER_KEYS))
        if (typeof value === 'string') records.viberKeys[id] = value;
      return records;
    },
    async putSpec(envId, known) {
      await run(SPECS, 'readwrite', (s) => s.put(known, prefix + envId));
    },
    async putViberKey(viberId, publicKey) {
      await run(VIBER_KEYS, 'readwrite', (s) => s.put(publicKey, prefix + viberId));
    },
  };
}

/** Records in memory only (tests; a browser without IndexedDB would forget them at reload). */
export function memoryTrustStore(initial: TrustRecords = { specs: {}, viberKeys: {} }): TrustStore {
  const records: TrustRecords = structuredClone(initial);
  return {
    load: () => Promise.resolve(structuredClone(records)),
    putSpec: (envId, known) => Promise.resolve(void (records.specs[envId] = structuredClone(known))),
    putViberKey: (viberId, key) => Promise.resolve(void (records.viberKeys[viberId] = key)),
  };
}
