// The client address the per-address limits count by ([S19]): the socket's peer, unless that peer
// is a proxy named in TRUSTED_PROXIES, in which case X-Forwarded-For is read from the right — each
// trusted hop appends the address it saw — and the first address not itself a trusted proxy is the
// client. Without TRUSTED_PROXIES the header is never read: anyone can send it.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** `::ffff:1.2.3.4` (an IPv4 client of a dual-stack socket) and `1.2.3.4` are one address. */
export function normalizeAddress(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : '';
  return v4 && isIP(v4) === 4 ? v4 : address;
}

/**
 * What the per-address limits count by: an IPv4 address, or an IPv6 address's /64 prefix — one host
 * (one home or phone network) is handed a whole /64, so counting each of its 2^64 addresses apart
 * would leave every per-address limit without effect.
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const bare = address.split('%')[0]!.toLowerCase();
  // An IPv4 tail (64:ff9b::1.2.3.4) is the last two groups, never part of the /64.
  const text = bare.replace(/\d+\.\d+\.\d+\.\d+$/, '0:0');
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** The resolver for a list of trusted proxy addresses (config.trustedProxies). */
export function clientAddressOf(trustedProxies: readonly string[]): (request: IncomingMessage) => string {
  const trusted = new Set(trustedProxies.map(normalizeAddress));
  return (request) => {
    const peer = normalizeAddress(request.socket.remoteAddress ?? '');
    if (!trusted.has(peer)) return limitKey(peer);
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i].trim());
      // Anything that is not an address ends what the trusted hops vouch for.
      if (!isIP(hop)) break;
      client = hop;
      if (!trusted.has(hop)) break;
    }
    return limitKey(client);
  };
}
