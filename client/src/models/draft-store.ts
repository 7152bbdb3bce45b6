// Unsaved editor drafts, local-first: kept in a local-only Yjs document (IndexedDB, never synced), so
// leaving the editor — to Add a Viber, to a task, or a reload — loses nothing until Save or Discard.
// Secret values are the exception: plaintext stays in memory only, never on disk (sealed on Save).
import * as Y from 'yjs';

export interface DraftStore {
  /** The stored draft of `id`, or undefined. */
  get<T>(id: string): T | undefined;
  put(id: string, value: unknown): void;
  discard(id: string): void;
  /** The ids of every stored draft. */
  ids(): string[];
  /** A secret value typed into a draft; memory only, gone with the page. */
  secretValue(id: string, rowId: number): string;
  setSecretValue(id: string, rowId: number, value: string): void;
}

/** Drafts as JSON strings in the `drafts` map of `doc`; secret values in memory. */
export function createDraftStore(doc: Y.Doc): DraftStore {
  const map = doc.getMap<string>('drafts');
  const secrets = new Map<string, string>();
  return {
    get<T>(id: string) {
      const raw = map.get(id);
      if (typeof raw !== 'string') return undefined;
      try {
        return JSON.parse(raw) as T;
      } catch {
        return undefined;
      }
    },
    put(id, value) {
      const raw = JSON.stringify(value);
      if (map.get(id) !== raw) map.set(id, raw);
    },
    ids: () => [...map.keys()],
    discard(id) {
      if (map.has(id)) map.delete(id);
      for (const key of [...secrets.keys()]) if (key.startsWith(`${id}#`)) secrets.delete(key);
    },
    secretValue: (id, rowId) => secrets.get(`${id}#${rowId}`) ?? '',
    setSecretValue(id, rowId, value) {
      if (value) secrets.set(`${id}#${rowId}`, value);
      else secrets.delete(`${id}#${rowId}`);
    },
  };
}

/** The local document's name: under the user's prefix, so signing out deletes it with the rest. */
export const draftsDocName = (userId: string) => `u/${userId}/drafts.local`;
