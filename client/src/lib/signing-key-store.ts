// The user's Ed25519 signing key on this device ([T2], design §5b): kept only in IndexedDB, one
// record per user, never sent anywhere in the clear. Plain IndexedDB (no library): one store, one key.
import type { SigningKeyPair } from '@openviber/shared/crypto';

const DB_NAME = 'openviber-signing-keys';
const STORE = 'keys';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB refused to open'));
  });
}

async function run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  } finally {
    db.close();
  }
}

function isKeyPair(value: unknown): value is SigningKeyPair {
  const v = value as Partial<SigningKeyPair> | undefined;
  return typeof v?.publicKey === 'string' && typeof v.privateKey === 'string';
}

/** This device's copy of the user's signing key, or null when it has none. */
export async function loadSigningKey(userId: string): Promise<SigningKeyPair | null> {
  const value = await run<unknown>('readonly', (s) => s.get(userId));
  return isKeyPair(value) ? { publicKey: value.publicKey, privateKey: value.privateKey } : null;
}

export async function saveSigningKey(userId: string, key: SigningKeyPair): Promise<void> {
  await run('readwrite', (s) => s.put({ publicKey: key.publicKey, privateKey: key.privateKey }, userId));
}

export async function deleteSigningKey(userId: string): Promise<void> {
  await run('readwrite', (s) => s.delete(userId));
}
