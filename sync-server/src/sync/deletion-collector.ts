// [D7] Removes from the store every document that belongs only to a deleted entity, and refuses to
// (re)create one. Deletions are read from the workspace's deletions log (shared/workspace-deletions),
// which every delete writes, so a deletion made by a device editing the workspace directly, even one
// that was offline, is collected as soon as it reaches this server: on change, and at every load of
// the workspace (a sweep over the user's stored documents).
import type { Extension, Hocuspocus } from '@hocuspocus/server';
import {
  DeletionSet,
  MAX_DELETIONS,
  deletionsLogLength,
  listDeletions,
  observeDeletions,
  parseDocName,
  trimDeletions,
  userDocPrefix,
  workspaceDocName,
} from '@openviber/shared';
import * as Y from 'yjs';
import type { Storage } from '../storage/storage.ts';
import type { DocGateway } from './doc-gateway.ts';

/** Deletions arriving together are collected in one pass after this delay. */
export const COLLECT_DELAY_MS = 250;
/** A pass that failed (store unavailable) is tried again after this delay. */
export const COLLECT_RETRY_MS = 5_000;
/** Close code for a peer of a document whose entity was deleted ([D7]). */
export const DOCUMENT_DELETED = { code: 4404, reason: 'document deleted' } as const;

export class DeletionCollector {
  #hocuspocus!: Hocuspocus;
  #gateway!: DocGateway;
  readonly #storage: Storage;
  readonly #log: (msg: string) => void;
  readonly #indexes = new WeakMap<Y.Doc, DeletionSet>();
  /** Documents evicted on this process, so a store still in flight for one never recreates it. */
  readonly #evicted = new Set<string>();
  readonly #scheduled = new Map<string, NodeJS.Timeout>();

  constructor(storage: Storage, log = (m: string) => console.error(m)) {
    this.#storage = storage;
    this.#log = log;
  }

  /** The extension goes into the server's configuration first; the server's parts come after. */
  attach(hocuspocus: Hocuspocus, gateway: DocGateway): void {
    this.#hocuspocus = hocuspocus;
    this.#gateway = gateway;
  }

  /** Indexes each workspace as it loads and sweeps the user's documents once. */
  extension(): Extension {
    return {
      extensionName: 'openviber-deletions',
      afterLoadDocument: async ({ document, documentName }) => {
        const ref = parseDocName(documentName);
        if (ref?.kind !== 'workspace') return;
        if (this.#index(document, ref.userId).size > 0) this.#schedule(ref.userId, COLLECT_DELAY_MS);
      },
      afterUnloadDocument: async ({ documentName }) => {
        this.#evicted.delete(documentName);
      },
    };
  }

  /** Synchronous, for the store path: true when the document must not be stored (its entity is gone). */
  isDeleted(documentName: string): boolean {
    if (this.#evicted.has(documentName)) return true;
    const ref = parseDocName(documentName);
    if (!ref || ref.kind === 'workspace') return false;
    const workspace = this.#hocuspocus.documents.get(workspaceDocName(ref.userId));
    return !!workspace && this.#index(workspace, ref.userId).ownsDocument(documentName);
  }

  /**
   * For onAuthenticate: true when the document belongs to a deleted task, binding or Viber. A loaded
   * workspace is read in place: a reconnect storm asks once per socket, and each gateway read re-armed
   * the workspace's idle timer. Only an unloaded workspace is opened through the gateway.
   */
  async refuses(documentName: string): Promise<boolean> {
    const ref = parseDocName(documentName);
    if (!ref || ref.kind === 'workspace') return false;
    if (this.#evicted.has(documentName)) return true;
    const name = workspaceDocName(ref.userId);
    const loaded = this.#hocuspocus.documents.get(name);
    if (loaded && !loaded.isDestroyed) return this.#index(loaded, ref.userId).ownsDocument(documentName);
    return this.#gateway.read(name, (doc) => this.#index(doc, ref.userId).ownsDocument(documentName));
  }

  /**
   * Closes every connection to the user's documents of deleted entities, removes those documents from
   * the store and trims the log to `MAX_DELETIONS`. Returns how many stored documents were removed.
   */
  async collect(userId: string): Promise<number> {
    clearTimeout(this.#scheduled.get(userId));
    this.#scheduled.delete(userId);
    const workspace = workspaceDocName(userId);
    const { set, logLength, listed } = await this.#gateway.read(workspace, (doc) => ({
      set: this.#index(doc, userId),
      logLength: deletionsLogLength(doc),
      listed: new DeletionSet(listDeletions(doc)),
    }));
    if (set.size === 0) return 0;
    const prefix = userDocPrefix(userId);
    const loaded = [...this.#hocuspocus.documents.keys()].filter(
      (n) => n.startsWith(prefix) && set.ownsDocument(n),
    );
    for (const name of loaded) this.#evict(name);
    const stored = (await this.#storage.listDocuments(prefix)).filter((n) => set.ownsDocument(n));
    let removed = 0;
    if (stored.length > 0) {
      // The deletions are stored before any document goes: a crash in between would otherwise leave
      // a tombstone under an entity the stored workspace still lists, its writes dropped.
      const state = await this.#gateway.read(workspace, (doc) => Y.encodeStateAsUpdate(doc));
      await this.#storage.storeDocument(workspace, state);
      removed = await this.#storage.deleteDocuments(stored);
    }
    // Trimmed only after collecting, and only entries listed before it, so every entry dropped was
    // collected here first (one that arrived meanwhile may carry an older time than the kept ones).
    if (logLength > MAX_DELETIONS)
      await this.#gateway.write(workspace, (doc) =>
        trimDeletions(doc, MAX_DELETIONS, (d) => listed.has(d.kind, d.id)),
      );
    return removed;
  }

  /** `collect` for a route that already deleted: a failure (store down) is retried later, not thrown. */
  async collectOrRetry(userId: string): Promise<void> {
    await this.collect(userId).catch((error: unknown) => {
      this.#log(`collecting deleted documents failed, retrying: ${String(error)}`);
      this.#schedule(userId, COLLECT_RETRY_MS);
    });
  }

  #index(doc: Y.Doc, userId: string): DeletionSet {
    let set = this.#indexes.get(doc);
    if (!set) {
      const index = new DeletionSet(listDeletions(doc));
      observeDeletions(doc, (added) => {
        for (const d of added) index.add(d);
        this.#schedule(userId, COLLECT_DELAY_MS);
      });
      this.#indexes.set(doc, index);
      set = index;
    }
    return set;
  }

  /** Disconnects every peer of the document and lets it unload without being stored again. */
  #evict(name: string): void {
    const document = this.#hocuspocus.documents.get(name);
    if (!document) return;
    this.#evicted.add(name);
    for (const conn of document.getConnections()) conn.close(DOCUMENT_DELETED);
    this.#gateway.forget(name);
    void this.#hocuspocus.unloadDocument(document);
  }

  #schedule(userId: string, delay: number): void {
    if (this.#scheduled.has(userId)) return;
    const timer = setTimeout(() => {
      this.#scheduled.delete(userId);
      this.collect(userId).catch((error: unknown) => {
        this.#log(`collecting deleted documents failed, retrying: ${String(error)}`);
        this.#schedule(userId, COLLECT_RETRY_MS);
      });
    }, delay);
    timer.unref();
    this.#scheduled.set(userId, timer);
  }
}
