// Redis fan-out for several sync-server processes (@hocuspocus/extension-redis): an update a peer
// sends to one process is published to every other process holding that document, which applies
// it and forwards it to its own peers.
//
// Three changes to the stock extension, about not losing edits when processes share storage that
// merges concurrent stores (PostgresStorage), and about API latency:
// - No store lock. The stock extension takes a Redis lock before storing and, when another
//   process holds it, *skips* the store (SkipFurtherHooksError). Nothing retries a skipped store,
//   so a change could stay only in memory and vanish with the process. Our storage merges every
//   store into what is stored under a row lock, so concurrent stores are safe and none is skipped.
// - Receivers store too. Stock Hocuspocus never stores updates that arrived through Redis, so an
//   edit reaches the database only through the process its peer was connected to: if that process
//   is killed before its debounced store, the edit lives on only in memory elsewhere, and a peer
//   that reconnects to a process which already has it sends nothing new, so nothing stores it.
//   Here every process holding the document stores it (debounced like any change): the cost is one
//   merged write per process per debounce window, the gain that an edit is lost only if every
//   process holding it dies before storing.
//   Unless another process says it stored everything this one holds (store-notices.ts): then the
//   write is skipped, so an edit is written once, by the process it came through, while that lives.
// - Updates travel in one hop. Stock, a change only publishes the process's state vector
//   (SyncStep1); others reply with theirs and the origin must answer with the update, so it keeps
//   the document loaded `disconnectDelay` (1 s) after every store and again before unloading,
//   which made every API call ~2 s. Here the update itself is published as well (the SyncStep1
//   exchange stays, and repairs anything a lost message missed), so the delay can be short.
import { Redis } from '@hocuspocus/extension-redis';
import {
  type Document,
  OutgoingMessage,
  isTransactionOrigin,
  type Extension,
  type onAwarenessUpdatePayload,
  type onChangePayload,
} from '@hocuspocus/server';
import type { Redis as RedisClient } from 'ioredis';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import { PublishBatch, readBatch } from './publish-batch.ts';
import { boundPublishQueue } from './bounded-publish.ts';
import { StoreNotices } from './store-notices.ts';
import { readAwarenessMessage } from '../sync/awareness-guard.ts';
import { SYNC_CHECK_MS, SYNC_REPAIR_MS } from '../limits.ts';

type RedisOptions = NonNullable<ConstructorParameters<typeof Redis>[0]>['options'];

/** ioredis connection settings from a redis:// or rediss:// URL (user, password and /db included). */
export function redisConnection(url: string): { host: string; port: number; options: RedisOptions } {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL');
  const db = u.pathname.replace(/^\//, '');
  if (db && !/^\d+$/.test(db)) throw new Error('REDIS_URL: the path must be a database number');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    options: {
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: db ? Number(db) : 0,
      tls: u.protocol === 'rediss:' ? { servername: host } : undefined,
      // Keep retrying: while Redis is away, this process serves its own peers alone.
      maxRetriesPerRequest: null,
    },
  };
}

class MergingRedis extends Redis {
  readonly #log: (msg: string) => void;
  /** Which process stored what (store-notices.ts): a store another process already made is skipped. */
  readonly storeCoordination: StoreNotices;
  /** Presence to the other processes, in batches on one channel (publish-batch.ts). */
  readonly #awareness: PublishBatch;
  readonly #awarenessChannel: string;

  constructor(configuration: ConstructorParameters<typeof Redis>[0], log: (msg: string) => void) {
    super(configuration);
    this.#log = log;
    // Awareness from other processes is applied here, without the stock path's scratch Y.Doc (a
    // fresh document, its uuid from 31 getRandomValues calls, for every renewal of every device:
    // 7-8% of a process's CPU with 3,000 users on two). The process the peer is connected to
    // already ran the awareness hooks (our guard) on it; the origin and so the fan-out are the same.
    const self = this as unknown as {
      handleIncomingMessage: (channel: Buffer, data: Buffer) => Promise<void>;
      decodeMessage: (data: Buffer) => [string, Buffer];
      redisTransactionOrigin: unknown;
    };
    const stock = self.handleIncomingMessage;
    this.sub.off('messageBuffer', stock);
    // As the stock handler: a document still loading is known to the extension before the instance.
    const loading = (this as unknown as { documents: Map<string, Document> }).documents;
    const applyAwareness = (message: { address: string; update: Uint8Array }) => {
      const documentName = message.address; // published under the plain document name
      const document = loading.get(documentName) ?? this.instance?.documents.get(documentName);
      if (!document) return;
      try {
        applyAwarenessUpdate(document.awareness, message.update, self.redisTransactionOrigin);
      } catch (error) {
        // A damaged message must not become an unhandled rejection (Node exits on those).
        this.#log(`redis: an awareness update for ${documentName} could not be read: ${String(error)}`);
      }
    };
    this.#awarenessChannel = `${this.configuration.prefix}#awareness`;
    self.handleIncomingMessage = async (channel, data) => {
      const [identifier, body] = self.decodeMessage(data);
      if (identifier === this.configuration.identifier) return;
      if (channel.toString('utf8') === this.#awarenessChannel) {
        let entries: Uint8Array[];
        try {
          entries = readBatch(body);
        } catch (error) {
          this.#log(`redis: a presence batch could not be read: ${String(error)}`);
          return;
        }
        for (const entry of entries) {
          const message = readAwarenessMessage(entry);
          if (message) applyAwareness(message);
        }
        return;
      }
      const awareness = readAwarenessMessage(body);
      if (!awareness) return stock(channel, data);
      applyAwareness(awareness);
    };
    this.sub.on('messageBuffer', self.handleIncomingMessage);
    // ioredis subscribes again by itself after a reconnect.
    this.sub.subscribe(this.#awarenessChannel).catch((error: unknown) => {
      log(`redis: could not subscribe to presence: ${String(error)}`);
    });
    this.#awareness = new PublishBatch({
      publish: (batch) => {
        this.pub
          .publish(this.#awarenessChannel, Buffer.concat([this.messagePrefix, batch]))
          .catch((error: unknown) => this.#log(`redis: could not publish presence: ${String(error)}`));
      },
    });
    this.storeCoordination = new StoreNotices({
      pub: this.pub as RedisClient,
      sub: (this.sub as RedisClient).duplicate(),
      prefix: this.configuration.prefix,
      identifier: this.configuration.identifier,
      holds: (name) => this.instance?.documents.has(name) ?? false,
      log,
    });
  }

  /**
   * A change of presence made here goes to the other processes in the next batch. Not one that came
   * from Redis: the stock extension published those again, so every renewal crossed Redis twice (and
   * once more per further process). A device leaving the last connection of a document here is
   * published too: the stock extension publishes nothing for a document with no peer left, and the
   * device stayed "present" elsewhere until awareness's 30 s timeout.
   */
  override async onAwarenessUpdate(payload: onAwarenessUpdatePayload): Promise<void> {
    const { document, documentName, awareness, added, updated, removed, transactionOrigin } = payload;
    if (isTransactionOrigin(transactionOrigin) && transactionOrigin.source === 'redis') return;
    const here = (document?.connections.size ?? 0) > 0;
    const changed = here ? [...added, ...updated, ...removed] : removed;
    if (changed.length === 0) return;
    this.#awareness.add(
      new OutgoingMessage(documentName).createAwarenessUpdateMessage(awareness, changed).toUint8Array(),
    );
    // A departure goes at once: held for the batch, it could reach another process after the same
    // device reconnected there (same clock), and remove it from a process it is connected to.
    if (removed.length > 0) this.#awareness.flush();
  }

  override async onDestroy(): Promise<void> {
    this.#awareness.close(); // publishes the departures of a closing process's peers
    this.storeCoordination.close();
    await super.onDestroy();
  }

  /** No lock and no skip: PostgresStorage merges concurrent stores (see the header). */
  override async onStoreDocument(): Promise<void> {}

  readonly #checks = new Map<string, { timer: NodeJS.Timeout; due: number }>();

  /** Publishes a Hocuspocus message on the document's channel, framed as the stock extension does. */
  #publish(name: string, message: Uint8Array, what: string): void {
    this.pub
      .publish(`${this.configuration.prefix}:${name}`, Buffer.concat([this.messagePrefix, message]))
      .catch((error: unknown) => {
        this.#log(`redis: could not ${what}: ${String(error)}`);
        // Redis refused it on a live connection (an outage resyncs every document by itself): what
        // the others missed is exchanged once this document's state is compared, soon.
        this.#checkLater(name, SYNC_REPAIR_MS);
      });
  }

  /** Our state vector for `name` (SyncStep1): the others answer with what we lack, and ask in turn. */
  #publishStateVector(name: string, document: Document, what: string): void {
    this.#publish(
      name,
      new OutgoingMessage(name).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array(),
      what,
    );
  }

  /**
   * One SyncStep1 for `name` `afterMs` after its first unchecked change, if still loaded; a check
   * already due sooner stands, one due later is brought forward.
   */
  #checkLater(name: string, afterMs = SYNC_CHECK_MS): void {
    const due = performance.now() + afterMs;
    const pending = this.#checks.get(name);
    if (pending && pending.due <= due) return;
    clearTimeout(pending?.timer);
    const timer = setTimeout(() => {
      this.#checks.delete(name);
      const document = this.instance.documents.get(name);
      if (document) this.#publishStateVector(name, document, `check ${name}`);
    }, afterMs);
    timer.unref();
    this.#checks.set(name, { timer, due });
  }

  override async afterUnloadDocument(data: Parameters<Redis['afterUnloadDocument']>[0]): Promise<void> {
    await super.afterUnloadDocument(data);
    if (data.instance.documents.has(data.documentName)) return;
    clearTimeout(this.#checks.get(data.documentName)?.timer);
    this.#checks.delete(data.documentName);
  }

  /**
   * Publishes every loaded document's state vector (SyncStep1). Each process that holds the document
   * answers with what we lack and its own state vector, which we answer in turn: after an outage
   * that dropped publishes, both sides catch up.
   */
  resyncAll(): void {
    for (const [name, document] of this.instance.documents)
      this.#publishStateVector(name, document, `resync ${name}`);
  }

  /**
   * A local change is published as the update itself, and the state vector only once per
   * SYNC_CHECK_MS of a document with changes: the stock extension publishes a SyncStep1 for every
   * change, which every other process answers with a diff of the document and its own SyncStep1,
   * answered in turn — four messages and two encodes against the whole document per edit, to repair
   * a message lost on a healthy connection, which Redis does not lose. Outages (a subscriber or
   * publisher away) resync every document at once (resyncAll).
   */
  override async onChange(data: onChangePayload): Promise<void> {
    const origin = data.transactionOrigin;
    if (!isTransactionOrigin(origin) || origin.source !== 'redis') {
      const message = new OutgoingMessage(data.documentName).createSyncMessage().writeUpdate(data.update);
      this.#publish(data.documentName, message.toUint8Array(), 'publish an update');
      this.#checkLater(data.documentName);
      return;
    }
    // Hocuspocus skips store hooks for Redis-received updates; schedule the (debounced) store ourselves.
    void data.instance.storeDocumentHooks(data.document, {
      instance: data.instance,
      clientsCount: data.document.getConnectionsCount(),
      document: data.document,
      lastContext: {},
      lastTransactionOrigin: origin,
      documentName: data.documentName,
    });
  }
}

export interface RedisExtensionOptions {
  /** Namespace of the Redis channels and keys (default `openviber`). */
  prefix?: string;
  /** How long a document stays loaded after a server-side store and before unloading (default 100 ms). */
  disconnectDelay?: number;
  log?: (msg: string) => void;
}

/** When a subscriber that was away is back, resync after these delays (ms). */
const RESYNC_AFTER_RESUBSCRIBE_MS = [250, 1_500];

export function redisExtension(url: string, options: RedisExtensionOptions = {}): Extension {
  const log = options.log ?? ((m: string) => console.error(m));
  const { host, port, options: connection } = redisConnection(url);
  const extension = new MergingRedis(
    {
      host,
      port,
      options: connection,
      prefix: options.prefix ?? 'openviber',
      disconnectDelay: options.disconnectDelay ?? 100,
    },
    log,
  );
  boundPublishQueue(extension.pub, { log, onRecovered: () => extension.resyncAll() });
  // ioredis reconnects by itself; report each outage once instead of once per retry.
  for (const [role, client] of [
    ['publish', extension.pub],
    ['subscribe', extension.sub],
  ] as const) {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) log(`redis (${role}): ${error.message}; retrying`);
      down = true;
    });
    // A connection Redis closed cleanly (CLIENT KILL, the pub/sub output-buffer limit, a proxy's
    // idle timeout) raises no error, and ioredis is back within ~50 ms: a subscriber still missed
    // what was published meanwhile, so this counts as an outage too.
    client.on('reconnecting', () => {
      if (!down) log(`redis (${role}): connection closed; reconnecting`);
      down = true;
    });
    client.on('ready', () => {
      if (down) log(`redis (${role}): connected again`);
      // A subscriber that was away missed what others published, and another process's resync
      // (when its publisher came back) may have gone out before we were subscribed again: ask for
      // what we lack ourselves. Twice, since ioredis re-subscribes just after 'ready'.
      if (down && role === 'subscribe')
        for (const delay of RESYNC_AFTER_RESUBSCRIBE_MS)
          setTimeout(() => extension.resyncAll(), delay).unref();
      down = false;
    });
  }
  return extension;
}
