// [S19] Which address the per-address limits count a request by.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressOf } from './client-address.ts';

const request = (peer: string, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('[S19] the client address behind trusted proxies', () => {
  const behindProxy = clientAddressOf(['127.0.0.1', '10.0.0.2']);

  it('without TRUSTED_PROXIES the header is never read: anyone can send it', () => {
    const direct = clientAddressOf([]);
    expect(direct(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
    expect(behindProxy(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('from a trusted proxy, the first address from the right that is not a trusted proxy', () => {
    expect(behindProxy(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    // A client's own made-up entries sit to the left of what the proxies appended.
    expect(behindProxy(request('127.0.0.1', '9.9.9.9, 203.0.113.7, 10.0.0.2'))).toBe('203.0.113.7');
    expect(behindProxy(request('127.0.0.1', ['9.9.9.9', '203.0.113.7']))).toBe('203.0.113.7');
    expect(behindProxy(request('127.0.0.1', '2001:db8::7'))).toBe('2001:db8:0:0::/64');
  });

  it('hostile or missing values fall back to the last address the trusted hops vouch for', () => {
    expect(behindProxy(request('127.0.0.1'))).toBe('127.0.0.1');
    expect(behindProxy(request('127.0.0.1', ''))).toBe('127.0.0.1');
    expect(behindProxy(request('127.0.0.1', '203.0.113.7, not-an-address'))).toBe('127.0.0.1');
    expect(behindProxy(request('127.0.0.1', 'evil<script>, 203.0.113.7'))).toBe('203.0.113.7');
    expect(behindProxy(request('127.0.0.1', '10.0.0.2'))).toBe('10.0.0.2');
    expect(behindProxy(request('127.0.0.1', 'x'.repeat(10_000)))).toBe('127.0.0.1');
  });

  it('an IPv4 client of a dual-stack socket is the same address', () => {
    expect(behindProxy(request('::ffff:127.0.0.1', '::ffff:203.0.113.7'))).toBe('203.0.113.7');
    expect(clientAddressOf([])(request('::ffff:198.51.100.4'))).toBe('198.51.100.4');
  });

  it('an IPv6 client counts by its /64: one host holds the whole prefix, so its addresses are one', () => {
    const direct = clientAddressOf([]);
    const keys = ['2001:db8:1:2:3:4:5:6', '2001:DB8:1:2::9', '2001:db8:1:2:ffff::1%eth0'].map((a) =>
      direct(request(a)),
    );
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(direct(request('2001:db8:1:3::1'))).toBe('2001:db8:1:3::/64');
    expect(direct(request('64:ff9b::1.2.3.4'))).toBe('64:ff9b:0:0::/64');
  });
});
