// Several processes hold the same document and each stores it (redis-extension.ts: receivers store
// too, so an edit outlives the process it came through). Stored twice, every edit cost two merged
// PostgreSQL writes. Now a process that stored a document says so on one Redis channel, with the
// state vector it stored; another process about to store the same document first waits briefly for
// such a notice and skips its write when the stored states already hold everything its copy does —
// every item (the state vector) and every deletion (the delete set: a deletion does not move the
// state vector, so a process that stored, then relayed a deletion and died, must not be taken to
// have stored that deletion). A process that dies before storing sends no notice, so the others
// store as before. Notices go out in batches (publish-batch.ts: one publish per REDIS_BATCH_MS
// rather than one per store; a process waits up to seconds for a notice, so the batch costs nothing).
import type { Redis as RedisClient } from 'ioredis';
import * as Y from 'yjs';
import type { StoreCoordination } from '../sync/storage-extension.ts';
import { PublishBatch, readBatch } from './publish-batch.ts';
import { snapshotHolds } from '../storage/snapshot-holds.ts';

/** name length (u16 BE) | name (UTF-8) | Yjs snapshot (state vector and delete set) */
function encode(name: string, snapshot: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(2 + nameBytes.length + snapshot.length);
  out.writeUInt16BE(nameBytes.length, 0);
  nameBytes.copy(out, 2);
  out.set(snapshot, 2 + nameBytes.length);
  return out;
}

function decode(entry: Uint8Array): { name: string; snapshot: Y.Snapshot } | null {
  try {
    const data = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
    const length = data.readUInt16BE(0);
    const name = data.subarray(2, 2 + length).toString('utf8');
    return { name, snapshot: Y.decodeSnapshot(data.subarray(2 + length)) };
  } catch {
    return null;
  }
}

export class StoreNotices implements StoreCoordination {
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #channel: string;
  readonly #holds: (name: string) => boolean;
  readonly #log: (msg: string) => void;
  /** Per document held here: the union of what any process said it stored. */
  readonly #stored = new Map<string, Y.Snapshot>();
  readonly #waiters = new Map<string, Set<() => void>>();
  /** This process's identifier, framed (length byte, UTF-8): its own batches come back and are skipped. */
  readonly #origin: Buffer;
  readonly #batch: PublishBatch;

  constructor(options: {
    pub: RedisClient;
    sub: RedisClient;
    prefix: string;
    /** This process's identifier on Redis (unique per process). */
    identifier: string;
    holds: (name: string) => boolean;
    log: (msg: string) => void;
  }) {
    this.#pub = options.pub;
    this.#sub = options.sub;
    this.#channel = `${options.prefix}:stored`;
    this.#holds = options.holds;
    this.#log = options.log;
    const id = Buffer.from(options.identifier, 'utf8');
    this.#origin = Buffer.concat([Buffer.from([id.length]), id]);
    this.#batch = new PublishBatch({
      publish: (batch) =>
        void this.#pub
          .publish(this.#channel, Buffer.concat([this.#origin, batch]))
          .catch((error: unknown) => this.#log(`redis: could not announce stores: ${String(error)}`)),
    });
    this.#sub.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      if (channel.toString() === this.#channel) this.#receive(data);
    });
    this.#sub.subscribe(this.#channel).catch((error: unknown) => this.#log(`redis: ${String(error)}`));
  }

  /** Whether the stored states announced so far hold every item and every deletion of `document`. */
  covers(name: string, document: Y.Doc): boolean {
    const stored = this.#stored.get(name);
    if (!stored) return false;
    return snapshotHolds(stored, Y.snapshot(document));
  }

  storedElsewhere(name: string, document: Y.Doc, waitMs: number): Promise<boolean> {
    if (this.covers(name, document)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(name) ?? new Set();
      this.#waiters.set(name, waiters);
      const done = (covered: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (!waiters.size) this.#waiters.delete(name);
        resolve(covered);
      };
      const check = () => {
        if (this.covers(name, document)) done(true);
      };
      const timer = setTimeout(() => done(false), waitMs);
      waiters.add(check);
    });
  }

  stored(name: string, snapshot: Y.Snapshot): void {
    this.#merge(name, snapshot);
    this.#batch.add(encode(name, Y.encodeSnapshot(snapshot)));
  }

  /** The document left this process: what was said about it no longer matters here. */
  forget(name: string): void {
    this.#stored.delete(name);
  }

  close(): void {
    this.#batch.close();
    this.#sub.disconnect();
  }

  #receive(data: Buffer): void {
    if (data.subarray(0, this.#origin.length).equals(this.#origin)) return; // our own
    let entries: Uint8Array[];
    try {
      entries = readBatch(data.subarray(data[0] + 1));
    } catch (error) {
      this.#log(`redis: store notices could not be read: ${String(error)}`);
      return;
    }
    for (const entry of entries) {
      const notice = decode(entry);
      if (!notice || !this.#holds(notice.name)) continue;
      this.#merge(notice.name, notice.snapshot);
      for (const check of [...(this.#waiters.get(notice.name) ?? [])]) check();
    }
  }

  #merge(name: string, snapshot: Y.Snapshot): void {
    const stored = this.#stored.get(name);
    if (!stored) {
      this.#stored.set(name, snapshot);
      return;
    }
    const sv = new Map(stored.sv);
    for (const [client, clock] of snapshot.sv) if ((sv.get(client) ?? 0) < clock) sv.set(client, clock);
    this.#stored.set(name, Y.createSnapshot(Y.mergeDeleteSets([stored.ds, snapshot.ds]), sv));
  }
}
