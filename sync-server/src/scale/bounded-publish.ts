// A bound on what the Redis publisher holds while Redis is unreachable. ioredis queues commands
// sent while disconnected, without limit; a long outage with busy documents would grow memory
// until the process dies. Here at most MAX_REDIS_OFFLINE_QUEUE publishes (and
// MAX_REDIS_OFFLINE_QUEUE_BYTES) wait for the connection; the rest are dropped with one log line
// per outage, and `onRecovered` runs when the connection is back after drops, so the caller can
// resync every loaded document (peers on other processes then exchange what they missed).
import { MAX_REDIS_OFFLINE_QUEUE, MAX_REDIS_OFFLINE_QUEUE_BYTES } from '../limits.ts';

export interface BoundedPublishOptions {
  maxMessages?: number;
  maxBytes?: number;
  log: (msg: string) => void;
  onRecovered: () => void;
}

/** The part of an ioredis client this needs (the extension brings its own ioredis copy). */
interface Publisher {
  readonly status: string;
  publish(channel: string, message: Buffer | string): Promise<number>;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * A publish Redis refuses (NOPERM, OOM) rejects: our own callers log it and repair, but the stock
 * extension's replies do not wait for theirs, and an unhandled rejection ends the process. The
 * rejection stays visible to whoever awaits the promise.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Replaces `client.publish` with a bounded version; returns how many publishes it dropped so far. */
export function boundPublishQueue(client: Publisher, options: BoundedPublishOptions): () => number {
  const maxMessages = options.maxMessages ?? MAX_REDIS_OFFLINE_QUEUE;
  const maxBytes = options.maxBytes ?? MAX_REDIS_OFFLINE_QUEUE_BYTES;
  const publish = client.publish.bind(client);
  let waiting = 0;
  let waitingBytes = 0;
  let dropped = 0;
  let droppedThisOutage = 0;

  client.on('ready', () => {
    if (droppedThisOutage === 0) return;
    options.log(
      `redis (publish): connected again after dropping ${droppedThisOutage} publishes; resyncing documents`,
    );
    droppedThisOutage = 0;
    options.onRecovered();
  });

  client.publish = (channel: string, message: Buffer | string): Promise<number> => {
    if (client.status === 'ready') return handled(publish(channel, message));
    const size = message.length;
    if (waiting >= maxMessages || waitingBytes + size > maxBytes) {
      if (droppedThisOutage === 0)
        options.log(
          `redis (publish): unreachable and ${waiting} publishes (${waitingBytes} bytes) already wait; dropping further publishes until it is back (peers resync then)`,
        );
      dropped++;
      droppedThisOutage++;
      return Promise.resolve(0);
    }
    waiting++;
    waitingBytes += size;
    return handled(
      publish(channel, message).finally(() => {
        waiting--;
        waitingBytes -= size;
      }),
    );
  };
  return () => dropped;
}
