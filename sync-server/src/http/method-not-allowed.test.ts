// 405 with Allow where a route exists but the method does not; 404 where no route has the path.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler } from './handle-request.ts';
import { Router } from './router.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  const router = new Router()
    .on('GET', '/api/tasks/:id', async ({ params }) => ({ id: params.id }))
    .on('PUT', '/api/tasks/:id', async () => ({ updated: true }))
    .on('DELETE', '/api/tasks/:id', async () => ({ deleted: true }))
    .on('POST', '/api/tasks/:id/cancel', async () => ({ cancelled: true }));
  server = createServer(
    createRequestHandler(
      router,
      (_req, res) => res.end('app'),
      () => {},
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HTTP methods', () => {
  it('answers 405 with Allow listing every method of the path when the method is wrong', async () => {
    const res = await fetch(`${base}/api/tasks/tsk_1`, { method: 'PATCH' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE, GET, PUT');
    const body = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect(body.error).toMatchObject({ code: 'method_not_allowed', field: 'method' });
    expect(body.error.message).toContain('PATCH is not supported on /api/tasks/tsk_1');

    const cancel = await fetch(`${base}/api/tasks/tsk_1/cancel`);
    expect([cancel.status, cancel.headers.get('allow')]).toEqual([405, 'POST']);
    const health = await fetch(`${base}/api/health`, { method: 'POST' });
    expect([health.status, health.headers.get('allow')]).toEqual([405, 'GET']);
  });

  it('still answers 404 when no route has the path, and serves the right method', async () => {
    const missing = await fetch(`${base}/api/tasks/tsk_1/nope`, { method: 'PATCH' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('allow')).toBeNull();
    expect(await (await fetch(`${base}/api/tasks/tsk_1`)).json()).toEqual({ id: 'tsk_1' });
    expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({ ok: true, schemaVersion: 1 });
  });
});
