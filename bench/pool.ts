// Peers run in worker threads, apart from the servers (child processes) whose memory is measured,
// and apart from the main thread that drives the run. A pool sends one command to every worker.
import { Worker } from 'node:worker_threads';

export interface PeerSpec {
  doc: string;
  token: string;
}

type Reply = Record<string, unknown> & { id: number };

export class PeerPool {
  readonly #workers: Worker[];
  #nextId = 1;
  readonly #waiting = new Map<
    number,
    { replies: Reply[]; done: (r: Reply[]) => void; fail: (e: Error) => void }
  >();
  readonly #listeners = new Set<(event: Record<string, unknown>) => void>();

  constructor(file: URL, count: number) {
    this.#workers = Array.from({ length: count }, () => new Worker(file));
    for (const w of this.#workers) {
      w.on('message', (msg: Reply & { event?: string }) => {
        if (msg.event) {
          for (const l of this.#listeners) l(msg);
          return;
        }
        const waiting = this.#waiting.get(msg.id);
        if (!waiting) return;
        waiting.replies.push(msg);
        if (msg.error) waiting.fail(new Error(String(msg.error)));
        else if (waiting.replies.length === this.#workers.length) {
          this.#waiting.delete(msg.id);
          waiting.done(waiting.replies);
        }
      });
      w.on('error', (e) => {
        for (const w2 of this.#waiting.values()) w2.fail(e);
      });
    }
  }

  get size() {
    return this.#workers.length;
  }

  /** Sends `make(i)` to worker i; resolves with every worker's reply. */
  request<T = Reply>(
    make: (workerIndex: number) => Record<string, unknown>,
    timeoutMs = 120_000,
  ): Promise<T[]> {
    const id = this.#nextId++;
    return new Promise<T[]>((done, fail) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        fail(new Error(`peer workers did not answer '${String(make(0).cmd)}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        replies: [],
        done: (r) => {
          clearTimeout(timer);
          done(r as T[]);
        },
        fail: (e) => {
          clearTimeout(timer);
          this.#waiting.delete(id);
          fail(e);
        },
      });
      this.#workers.forEach((w, i) => w.postMessage({ ...make(i), id }));
    });
  }

  /** Splits `specs` evenly over the workers. */
  split<T>(items: T[], workerIndex: number): T[] {
    return items.filter((_, i) => i % this.#workers.length === workerIndex);
  }

  onEvent(listener: (event: Record<string, unknown>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.request(() => ({ cmd: 'close' }), 30_000).catch(() => undefined);
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
