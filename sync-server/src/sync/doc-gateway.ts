// Server-side reads and writes of documents through Hocuspocus direct connections, so an API write
// reaches every connected peer live and is stored like any other change.
import type { Hocuspocus } from '@hocuspocus/server';
import type * as Y from 'yjs';

export const SERVER_CONTEXT = { server: true } as const;

export class DocGateway {
  readonly #hocuspocus: Hocuspocus;

  constructor(hocuspocus: Hocuspocus) {
    this.#hocuspocus = hocuspocus;
  }

  /** Runs `fn` on the live document without changing it. */
  async read<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    const conn = await this.#hocuspocus.openDirectConnection(name, SERVER_CONTEXT);
    try {
      return fn(conn.document!);
    } finally {
      await conn.disconnect();
    }
  }

  /** Runs `fn` in one transaction on the live document; peers receive the change at once. */
  async write<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    const conn = await this.#hocuspocus.openDirectConnection(name, SERVER_CONTEXT);
    try {
      let result!: T;
      await conn.transact((doc) => {
        result = fn(doc);
      });
      return result;
    } finally {
      await conn.disconnect();
    }
  }

  /** True when a connection of the given Viber holds its own document open on this process. */
  isViberConnected(viberDocName: string): boolean {
    const doc = this.#hocuspocus.documents.get(viberDocName);
    if (!doc) return false;
    for (const state of doc.awareness.getStates().values()) {
      if ((state as { viber?: { online?: boolean } }).viber?.online === true) return true;
    }
    return false;
  }
}
