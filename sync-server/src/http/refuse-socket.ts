// A connection or upgrade refused by a limit ([S15], [S18]) is answered with a plain HTTP response —
// its status, Retry-After and a message naming the limit — and closed. Written to the raw socket:
// the refusal comes before (or instead of) node:http's own response.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Why a socket is refused: 429 for one address's share, 503 when the server as a whole is full. */
export interface SocketRefusal {
  status: 429 | 503;
  message: string;
}

export function refuseSocket(socket: Duplex, refusal: SocketRefusal, retryAfterSeconds: number): void {
  const body = `${refusal.message}\n`;
  socket.on('error', () => {}); // the client may already be gone; nothing to tell it then
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Retry-After: ${retryAfterSeconds}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
