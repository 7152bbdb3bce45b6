// [S11a] What one user's documents may take of this process's memory. A loaded Y.Doc costs its
// content plus ~450 bytes of heap per struct (an Item with its ID, origins and content object):
// measured 27× the encoded size for a map of 450,000 small keys, 14× for a 10,000-task workspace,
// 1× for run output (Node 24, measured here). So the estimate is bytes + STRUCT_BYTES × structs, where
// bytes is the encoded size at load (what storage returned) plus every update since, and structs
// is counted at each update (one length per client that wrote the document: cheap). When the bytes
// have doubled since they were last measured (output that trims itself keeps sending new bytes),
// the document is encoded once to measure them again: amortized, one encoded byte per byte received.
//
// Documents belong to the user their name starts with (`u/<userId>/…`): only that user and their
// Vibers open them. Past MAX_LOADED_MEMORY_PER_USER a document not loaded here is refused to the
// user's peers and an update that would grow one is refused (QuotaError, 4413), with a reason
// naming the limit; the server's own writes (the API) are counted, not refused here.
import type { Document } from '@hocuspocus/server';
import { parseDocName } from '@openviber/shared';
import * as Y from 'yjs';
import { QuotaError } from './user-quota.ts';

/** Heap per Yjs struct, beyond its content (see above). */
export const STRUCT_BYTES = 450;
/** A message's bytes are counted this many times before it is applied: the densest content measured. */
const MESSAGE_GROWTH = 30;
/** Bytes are measured again once they grew past max(this, twice the last measure). */
const REMEASURE_MIN_BYTES = 1024 * 1024;

interface Loaded {
  owner: string;
  document: Document;
  /** Encoded size at the last measure, and bytes received since. */
  measured: number;
  grown: number;
  structs: number;
}

function countStructs(doc: Y.Doc): number {
  let n = 0;
  for (const structs of doc.store.clients.values()) n += structs.length;
  return n;
}

const estimate = (d: Loaded) => d.measured + d.grown + STRUCT_BYTES * d.structs;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export class LoadedMemory {
  readonly #limit: number;
  readonly #docs = new Map<string, Loaded>();
  /** Estimated bytes per owner, kept as the sum of their documents' estimates. */
  readonly #owners = new Map<string, number>();
  /** Each owner's loaded documents (a refusal measures only theirs again). */
  readonly #byOwner = new Map<string, Set<Loaded>>();

  constructor(limitPerUser: number) {
    this.#limit = limitPerUser;
  }

  /** A document was loaded: `bytes` is what storage held for it (0 for a new one). */
  loaded(documentName: string, document: Document, bytes: number): void {
    const owner = parseDocName(documentName)?.userId;
    if (!owner) return;
    this.unloaded(documentName);
    const entry: Loaded = { owner, document, measured: bytes, grown: 0, structs: countStructs(document) };
    this.#docs.set(documentName, entry);
    const mine = this.#byOwner.get(owner) ?? new Set();
    this.#byOwner.set(owner, mine.add(entry));
    this.#add(owner, estimate(entry));
    document.on('update', (update: Uint8Array) => {
      if (this.#docs.get(documentName) !== entry) return;
      const before = estimate(entry);
      entry.grown += update.byteLength;
      entry.structs = countStructs(document);
      if (entry.grown > Math.max(REMEASURE_MIN_BYTES, entry.measured)) this.#remeasure(entry);
      this.#add(owner, estimate(entry) - before);
    });
  }

  /** The document `documentName` left memory (a later instance under that name is not touched). */
  unloaded(documentName: string, current?: Document): void {
    const entry = this.#docs.get(documentName);
    if (!entry || (current && entry.document === current)) return;
    this.#docs.delete(documentName);
    const mine = this.#byOwner.get(entry.owner);
    mine?.delete(entry);
    if (mine?.size === 0) this.#byOwner.delete(entry.owner);
    this.#add(entry.owner, -estimate(entry));
  }

  /** Estimated bytes the owner's loaded documents take here. */
  usage(owner: string): number {
    return this.#owners.get(owner) ?? 0;
  }

  /** Refuses opening `documentName` (not loaded here) when its owner is at the limit. */
  admitOpen(documentName: string): void {
    const owner = parseDocName(documentName)?.userId;
    if (!owner || this.#docs.has(documentName)) return;
    if (this.#over(owner, 0))
      throw new QuotaError(
        `too much of this user's data is open on this server: ${mib(this.usage(owner))} in memory, at most ${mib(this.#limit)} (MAX_LOADED_MEMORY_PER_USER); close some tasks`,
      );
  }

  /** Refuses a message of `bytes` to `documentName` that could take its owner past the limit. */
  admitUpdate(documentName: string, bytes: number): void {
    const owner = this.#docs.get(documentName)?.owner;
    if (!owner || !this.#over(owner, bytes * MESSAGE_GROWTH)) return;
    throw new QuotaError(
      `too much of this user's data is open on this server: ${mib(this.usage(owner))} in memory, at most ${mib(this.#limit)} (MAX_LOADED_MEMORY_PER_USER); this change is refused`,
    );
  }

  /** Over the limit with `more`, after measuring again what grew since its last measure. */
  #over(owner: string, more: number): boolean {
    if (this.usage(owner) + more <= this.#limit) return false;
    for (const entry of this.#byOwner.get(owner) ?? []) {
      if (entry.grown === 0) continue;
      const before = estimate(entry);
      this.#remeasure(entry);
      this.#add(owner, estimate(entry) - before);
    }
    return this.usage(owner) + more > this.#limit;
  }

  #remeasure(entry: Loaded): void {
    entry.measured = Y.encodeStateAsUpdate(entry.document).byteLength;
    entry.grown = 0;
    entry.structs = countStructs(entry.document);
  }

  #add(owner: string, delta: number): void {
    const next = (this.#owners.get(owner) ?? 0) + delta;
    if (next > 0) this.#owners.set(owner, next);
    else this.#owners.delete(owner);
  }
}
