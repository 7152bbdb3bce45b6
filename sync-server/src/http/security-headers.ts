// Headers on every HTTP response (API, app, errors): a Content-Security-Policy that runs only the
// app's own script files (no inline script, no eval; 'wasm-unsafe-eval' lets libsodium compile its
// WebAssembly), no framing by other sites, no MIME sniffing, and no full URLs leaked as Referer.
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  // Preact sets style properties through the CSSOM, which CSP allows; inline style attributes in
  // the built HTML are not used, but 'unsafe-inline' styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  // 'self' covers ws:/wss: to the same host (CSP3) for the /sync websocket.
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
