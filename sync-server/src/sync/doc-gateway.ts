// Server-side reads and writes of documents, so an API write reaches every connected peer live and
// is stored like any other change.
//
// Why one long-lived handle per document: opening and disconnecting a Hocuspocus direct connection
// per call unloads the document after every call, and a websocket peer connecting during that unload
// can attach to the destroyed copy — its edits are acknowledged and never stored (hocuspocus#971).
// The gateway keeps ONE direct connection per document it uses, shared by concurrent calls, and
// lets it go only after `GATEWAY_IDLE_MS` without a call and without a websocket peer on it.
import type { Document, Hocuspocus } from '@hocuspocus/server';
import type * as Y from 'yjs';
import { VERSION, isViberOnlineIn, stampDocument } from '@openviber/shared';

export const SERVER_CONTEXT = { server: true } as const;

/** How long a document the API used stays held after its last call (and its last peer). */
export const GATEWAY_IDLE_MS = 5_000;
/** Attempts to get a live document when each one raced an unload. */
const OPEN_ATTEMPTS = 5;

/** What the API may do with documents (DocGateway.charged). */
export interface ApiDocs {
  read<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>;
  write<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>;
  /**
   * A write the quota never refuses (its bytes still count): a delete or a cancel, which a user at
   * their quota must still be able to make, or a request's own bookkeeping after a charged write
   * (a task's `updatedAt` after its new message), which must not fail the request half done.
   */
  writeExempt<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>;
  isViberConnected(viberDocName: string): boolean;
}

/** A storage quota the API's writes are charged to. */
export interface GatewayQuota {
  /** Throws (a QuotaError) when the document's owner may not write it now. */
  admit(name: string): Promise<void>;
  count(name: string, bytes: number): void;
}

type DirectConnection = Awaited<ReturnType<Hocuspocus['openDirectConnection']>>;

interface Handle {
  conn: DirectConnection;
  document: Document;
  users: number;
  idle?: NodeJS.Timeout;
}

export class DocGateway {
  readonly #hocuspocus: Hocuspocus;
  readonly #handles = new Map<string, Handle>();
  readonly #opening = new Map<string, Promise<void>>();
  #closed = false;

  readonly #awaitNextStore: (document: Y.Doc) => void;

  /** `awaitNextStore`: the storage extension's (storage-extension.ts), told before each store the API waits on. */
  constructor(hocuspocus: Hocuspocus, awaitNextStore: (document: Y.Doc) => void = () => {}) {
    this.#hocuspocus = hocuspocus;
    this.#awaitNextStore = awaitNextStore;
  }

  /** Runs `fn` on the live document without changing it. */
  async read<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    const handle = await this.#acquire(name);
    try {
      return fn(handle.document);
    } finally {
      this.#release(name, handle);
    }
  }

  /**
   * Runs `fn` in one transaction on the live document; peers receive the change at once. The change
   * is stored before this resolves whenever the store is available; when it is not, the document
   * stays in memory and the storage extension retries (the change is live either way). Not charged
   * to the owner's storage quota: for the server's own bookkeeping (a Viber seen, deletions).
   */
  write<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    return this.#write(name, fn);
  }

  /**
   * Like `write`, but the change is left to the debounced store (2-10 s) instead of stored before
   * this resolves: for bookkeeping no caller waits on (a Viber seen), which would otherwise store
   * the whole document at every call.
   */
  writeLazily<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    return this.#write(name, fn, undefined, false);
  }

  /**
   * The gateway as the API uses it: each write is charged to its document owner's storage quota like a
   * websocket peer's ([S11]) — refused with a QuotaError (nothing written) when their bytes or
   * documents are spent, its bytes counted after.
   */
  charged(quota: GatewayQuota): ApiDocs {
    return {
      read: (name, fn) => this.read(name, fn),
      isViberConnected: (name) => this.isViberConnected(name),
      write: async (name, fn) => {
        await quota.admit(name);
        return this.#write(name, fn, (bytes) => quota.count(name, bytes));
      },
      writeExempt: (name, fn) => this.#write(name, fn, (bytes) => quota.count(name, bytes)),
    };
  }

  async #write<T>(
    name: string,
    fn: (doc: Y.Doc) => T,
    count?: (bytes: number) => void,
    storeNow = true,
  ): Promise<T> {
    const handle = await this.#acquire(name);
    try {
      let result!: T;
      let bytes = 0;
      const counted = (update: Uint8Array) => (bytes += update.byteLength);
      // The transaction runs synchronously inside transact: only its own update is counted.
      if (count) handle.document.on('update', counted);
      try {
        await handle.conn.transact((doc) => {
          result = fn(doc);
          // The API writes with this server's schema ([S12]); a newer app's stamp is never lowered.
          stampDocument(doc, `server ${VERSION}`);
        });
      } finally {
        if (count) handle.document.off('update', counted);
      }
      count?.(bytes);
      if (storeNow) await this.#storeNow(handle);
      return result;
    } finally {
      this.#release(name, handle);
    }
  }

  /** True when a connection of the given Viber holds its own document open on this process. */
  isViberConnected(viberDocName: string): boolean {
    const doc = this.#hocuspocus.documents.get(viberDocName);
    if (!doc) return false;
    return isViberOnlineIn(doc.awareness.getStates().values());
  }

  /** True once `close` was called (the server is stopping). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Releases every held document (stores what changed); later calls fail. Call before destroy. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#opening.values()]);
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.allSettled(
      handles.map((h) => {
        clearTimeout(h.idle);
        return h.conn.disconnect();
      }),
    );
  }

  /** Lets go of a document without storing it: its entity was deleted ([D7]). */
  forget(name: string): void {
    const handle = this.#handles.get(name);
    if (!handle) return;
    this.#handles.delete(name);
    clearTimeout(handle.idle);
    handle.document.removeDirectConnection();
    handle.conn.document = null;
  }

  /** A document that is destroyed or no longer the stored instance must never be used. */
  #isLive(name: string, document: Document | null): boolean {
    return !!document && !document.isDestroyed && this.#hocuspocus.documents.get(name) === document;
  }

  async #acquire(name: string): Promise<Handle> {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      if (this.#closed) throw new Error('the document gateway is closed');
      const held = this.#handles.get(name);
      if (held && this.#isLive(name, held.document)) {
        held.users++;
        clearTimeout(held.idle);
        return held;
      }
      if (held) this.#handles.delete(name);
      let opening = this.#opening.get(name);
      if (!opening) {
        opening = this.#open(name).finally(() => this.#opening.delete(name));
        this.#opening.set(name, opening);
      }
      await opening;
    }
    throw new Error(`document '${name}' kept unloading while being opened`);
  }

  async #open(name: string): Promise<void> {
    const conn = await this.#hocuspocus.openDirectConnection(name, SERVER_CONTEXT);
    const document = conn.document;
    // The connection was counted synchronously after creation; if the instance we got was being
    // unloaded meanwhile, drop it (without storing the dead copy) and let #acquire try again.
    if (!document || !this.#isLive(name, document)) {
      document?.removeDirectConnection();
      conn.document = null;
      return;
    }
    this.#handles.set(name, { conn, document, users: 0 });
  }

  #release(name: string, handle: Handle): void {
    handle.users--;
    if (handle.users > 0 || this.#closed) return;
    this.#armIdle(name, handle);
  }

  #armIdle(name: string, handle: Handle): void {
    clearTimeout(handle.idle);
    handle.idle = setTimeout(() => void this.#expire(name, handle), GATEWAY_IDLE_MS);
    handle.idle.unref();
  }

  async #expire(name: string, handle: Handle): Promise<void> {
    if (handle.users > 0 || this.#handles.get(name) !== handle) return;
    if (handle.document.getConnections().length > 0) {
      // A peer holds it: the document stays loaded anyway, so keep the handle and look again later.
      this.#armIdle(name, handle);
      return;
    }
    this.#handles.delete(name);
    await handle.conn.disconnect().catch(() => {});
  }

  async #storeNow(handle: Handle): Promise<void> {
    const { document } = handle;
    const origin = { source: 'local' as const, context: SERVER_CONTEXT };
    this.#awaitNextStore(document);
    await this.#hocuspocus.storeDocumentHooks(
      document,
      {
        instance: this.#hocuspocus,
        clientsCount: document.getConnectionsCount(),
        document,
        documentName: document.name,
        lastContext: SERVER_CONTEXT,
        lastTransactionOrigin: origin,
      },
      true,
    );
  }
}
