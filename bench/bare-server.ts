// The reference: a bare Hocuspocus server (no auth, persistence or extensions), run as its own
// process so its memory can be read apart from the peers'. Prints the same listening line as ours.
import { Server } from '@hocuspocus/server';

const server = new Server({
  quiet: true,
  stopOnSignals: false,
  address: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
});
await server.listen();
const address = server.httpServer.address();
const port = typeof address === 'object' && address ? address.port : 0;
console.log(`bare hocuspocus listening on http://127.0.0.1:${port}`);
const stop = () => void server.destroy().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
