// POST /api/auth/signup, /login, /logout.
import { credentialsSchema } from '@openviber/shared';
import type { Router } from '../http/router.ts';
import { withStatus } from '../http/router.ts';
import { requireUser, type Services } from './api-context.ts';
import { parseBody } from './parse-body.ts';

export function authRoutes(router: Router, s: Services): void {
  router.on('POST', '/api/auth/signup', async ({ req }) => {
    const { username, password } = await parseBody(credentialsSchema, req);
    return withStatus(201, await s.auth.signup(username, password, s.clientAddress(req)));
  });
  router.on('POST', '/api/auth/login', async ({ req }) => {
    const { username, password } = await parseBody(credentialsSchema, req);
    return s.auth.login(username, password, s.clientAddress(req));
  });
  router.on('POST', '/api/auth/logout', async ({ req }) => {
    const user = await requireUser(s, req);
    await s.auth.logout(user.tokenHash);
    s.closeConnections((p) => p.tokenHash === user.tokenHash);
    return { ok: true };
  });
}
