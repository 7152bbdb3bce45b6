// What crosses Redis in bulk rather than one publish per event: presence (every device renews its
// awareness state every 15 s, so with thousands of users it was two thirds of the publishes, each a
// socket write that wakes Redis and then a read and a wake-up in every other process) and store
// notices (one per document stored). A process gathers such messages for up to REDIS_BATCH_MS and
// publishes them as one message on one channel every process subscribes to; a receiver handles the
// entries about the documents it holds and skips the rest. Document updates are not batched: they
// go out at once on the document's own channel.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MAX_REDIS_BATCH_BYTES, REDIS_BATCH_MS } from '../limits.ts';

export interface PublishBatchOptions {
  /** Publishes one batch (the caller frames it and picks the channel). */
  publish: (batch: Uint8Array) => void;
  flushMs?: number;
  maxBatchBytes?: number;
}

export class PublishBatch {
  readonly #publish: (batch: Uint8Array) => void;
  readonly #flushMs: number;
  readonly #maxBatchBytes: number;
  #entries: Uint8Array[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PublishBatchOptions) {
    this.#publish = options.publish;
    this.#flushMs = options.flushMs ?? REDIS_BATCH_MS;
    this.#maxBatchBytes = options.maxBatchBytes ?? MAX_REDIS_BATCH_BYTES;
  }

  /** Queues one message for the next batch (published at once when the batch is full). */
  add(message: Uint8Array): void {
    if (this.#closed) return;
    if (this.#bytes > 0 && this.#bytes + message.byteLength > this.#maxBatchBytes) this.flush();
    this.#entries.push(message);
    this.#bytes += message.byteLength;
    if (this.#bytes >= this.#maxBatchBytes) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Publishes what is queued now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#entries.length === 0) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, this.#entries.length);
    for (const entry of this.#entries) encoding.writeVarUint8Array(encoder, entry);
    this.#entries = [];
    this.#bytes = 0;
    this.#publish(encoding.toUint8Array(encoder));
  }

  /** Publishes what is queued and queues nothing more (the process is closing). */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}

/** The messages of a batch; throws on bytes that are not one. */
export function readBatch(batch: Uint8Array): Uint8Array[] {
  const decoder = decoding.createDecoder(batch);
  const count = decoding.readVarUint(decoder);
  const entries: Uint8Array[] = [];
  for (let i = 0; i < count; i++) entries.push(decoding.readVarUint8Array(decoder));
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after the batch');
  return entries;
}
