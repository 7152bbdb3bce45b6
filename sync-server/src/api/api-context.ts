// What every route handler gets: storage, auth, document gateway, presence, and the caller.
import type { IncomingMessage } from 'node:http';
import type { UserId } from '@openviber/shared';
import type { AuthService, AuthedPrincipal } from '../auth/auth-service.ts';
import type { Claims } from './claims.ts';
import { HttpError } from '../http/http-error.ts';
import type { Storage } from '../storage/storage.ts';
import type { DeletionCollector } from '../sync/deletion-collector.ts';
import type { ApiDocs } from '../sync/doc-gateway.ts';
import type { Presence } from '../sync/presence.ts';

export interface Services {
  storage: Storage;
  auth: AuthService;
  /** Documents; writes are charged to the owner's storage quota. */
  docs: ApiDocs;
  /** Removes deleted entities' documents from the store ([D7]). */
  deletions: DeletionCollector;
  presence: Presence;
  closeConnections: (matches: (p: AuthedPrincipal) => boolean) => void;
  /** The URL a Viber should use to reach this server (for the onboarding command). */
  publicUrl: (req: IncomingMessage) => string;
  /** The address per-address limits count this request by ([S19]). */
  clientAddress: (req: IncomingMessage) => string;
  /** One claim per key across every server process, for a check-then-write (claims.ts). */
  claims: Claims;
}

const bearer = (req: IncomingMessage) => {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
};

/** The caller, user or Viber; 401 without a valid token. */
export async function requirePrincipal(services: Services, req: IncomingMessage): Promise<AuthedPrincipal> {
  const principal = await services.auth.principalFor(bearer(req));
  if (!principal)
    throw new HttpError('unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
  return principal;
}

/** The calling user; 403 for a Viber token. */
export async function requireUser(
  services: Services,
  req: IncomingMessage,
): Promise<AuthedPrincipal & { userId: UserId; kind: 'user' }> {
  const principal = await requirePrincipal(services, req);
  if (principal.kind !== 'user')
    throw new HttpError('forbidden', 'this route needs a user token, not a Viber token');
  return principal as AuthedPrincipal & { kind: 'user' };
}
