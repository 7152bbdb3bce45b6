// The reference: a bare Hocuspocus server (no auth, persistence or extensions), run as its own
// process so its memory can be read apart from the peers'. Prints the same listening line as ours.
import type { ListenOptions } from 'node:net';
import { Server } from '@hocuspocus/server';

const server = new Server({
  quiet: true,
  stopOnSignals: false,
  address: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
});
// With ours' listen backlog (sync-server/src/app.ts), so the storm compares the servers' work: with
// Node's 511 a thousand peers at once overflowed the accept queue of either server in about half the
// rounds here, and each dropped connection waited a second for its SYN to be sent again.
const http = server.httpServer;
const listen = http.listen.bind(http) as (options: ListenOptions, callback?: () => void) => unknown;
http.listen = ((options: ListenOptions, callback?: () => void) =>
  listen({ ...options, backlog: 4096 }, callback)) as typeof http.listen;
await server.listen();
const address = server.httpServer.address();
const port = typeof address === 'object' && address ? address.port : 0;
console.log(`bare hocuspocus listening on http://127.0.0.1:${port}`);
const stop = () => void server.destroy().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
