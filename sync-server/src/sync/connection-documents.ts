// How many documents each websocket holds open, so one socket cannot open thousands
// (MAX_DOCS_PER_CONNECTION; each open document costs memory on the server).
import { MAX_DOCS_PER_CONNECTION } from '../limits.ts';

export class ConnectionDocuments {
  readonly #open = new Map<string, Set<string>>();
  readonly #max: number;

  constructor(max = MAX_DOCS_PER_CONNECTION) {
    this.#max = max;
  }

  /** Records `documentName` as open on `socketId`; false (and nothing recorded) past the limit. */
  open(socketId: string, documentName: string): boolean {
    let docs = this.#open.get(socketId);
    if (!docs) this.#open.set(socketId, (docs = new Set()));
    if (docs.has(documentName)) return true;
    if (docs.size >= this.#max) return false;
    docs.add(documentName);
    return true;
  }

  close(socketId: string, documentName: string): void {
    const docs = this.#open.get(socketId);
    docs?.delete(documentName);
    if (docs?.size === 0) this.#open.delete(socketId);
  }

  /** Forgets everything recorded for a socket that closed. */
  closeSocket(socketId: string): void {
    this.#open.delete(socketId);
  }
}
