import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFiles } from './static-files.ts';

describe('GET /viber.tgz (the daemon package)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viber-pkg-'));
  const file = join(dir, 'viber.tgz');
  const appDir = join(dir, 'app');
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(staticFiles(appDir, file));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a 404 naming the build step while not built — never the app page npx would choke on', async () => {
    const res = await fetch(`${url}/viber.tgz`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
  });

  it('serves the bytes as application/gzip with an ETag; 304 when unchanged; a rebuilt file gets a new ETag', async () => {
    writeFileSync(file, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const first = await fetch(`${url}/viber.tgz?v=1`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/gzip');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(Buffer.from(await first.arrayBuffer())).toEqual(Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const etag = first.headers.get('etag')!;
    expect((await fetch(`${url}/viber.tgz`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    expect(first.headers.get('x-viber-build')).toBeNull();
    // A rebuild writes its build id beside the tarball; a hostile one is not echoed into a header.
    writeFileSync(`${file}.build`, 'abc123\n');
    writeFileSync(file, Buffer.from([0x1f, 0x8b, 9, 9, 9, 9]));
    // Same size and mtime would be missed: make sure the mtime moves like a real rebuild's.
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const rebuilt = await fetch(`${url}/viber.tgz`, { headers: { 'if-none-match': etag } });
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.headers.get('etag')).not.toBe(etag);
    expect(Buffer.from(await rebuilt.arrayBuffer())).toEqual(Buffer.from([0x1f, 0x8b, 9, 9, 9, 9]));
    expect(rebuilt.headers.get('x-viber-build')).toBe('abc123');
    writeFileSync(`${file}.build`, 'abc\r\nset-cookie: x');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect((await fetch(`${url}/viber.tgz`)).headers.get('x-viber-build')).toBeNull();
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await fetch(`${url}/viber.tgz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    const post = await fetch(`${url}/viber.tgz`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
