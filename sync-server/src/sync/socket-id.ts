// Names each websocket for the limits that follow it from upgrade to close. The upgrade request is
// the only place that sees the raw socket, and onAuthenticate sees only the request's headers, so
// the upgrade tags the request with headers naming its socket and its client address (overwriting
// any values a client sent).
import type { IncomingMessage } from 'node:http';

const SOCKET_HEADER = 'x-openviber-socket';
const ADDRESS_HEADER = 'x-openviber-address';
let next = 0;

/** Called on upgrade: a new id for this socket, carried in the request's headers with its client address. */
export function tagSocket(request: IncomingMessage, address: string): string {
  const id = String(++next);
  request.headers[SOCKET_HEADER] = id;
  request.headers[ADDRESS_HEADER] = address;
  return id;
}

/** The id `tagSocket` gave the socket these headers came with. */
export const socketIdOf = (headers: Headers): string | null => headers.get(SOCKET_HEADER);
/** The client address of the socket these headers came with. */
export const socketAddressOf = (headers: Headers): string => headers.get(ADDRESS_HEADER) ?? '';
