// /api/vibers: onboarding, the registry, removal and the per-Viber config.
import {
  VERSION,
  environmentView,
  getEnvironment,
  listBindings,
  newId,
  onboardSchema,
  removeViberCascade,
  upsertViber,
  viberDocName,
  workspaceDocName,
  type ViberId,
} from '@openviber/shared';
import { ONBOARDING_TTL_MS, TokenKind, hashToken, newToken } from '../auth/tokens.ts';
import { HttpError, notFound } from '../http/http-error.ts';
import { MAX_ONBOARDING_TOKENS_PER_USER, MAX_VIBERS_PER_USER } from '../limits.ts';
import { withStatus, type Router } from '../http/router.ts';
import { requirePrincipal, requireUser, type Services } from './api-context.ts';
import { parseBody } from './parse-body.ts';

const onboardingTokenSchema = onboardSchema.pick({ name: true }).partial();

/**
 * The one command a user runs on a machine with only Node (>= 20) and git: the server's own daemon
 * package (GET /viber.tgz) through npx. The name is shell-safe by its schema (letters, digits, space . _ -).
 */
export function onboardCommand(server: string, token: string, name?: string): string {
  const nameArg = name === undefined ? '"$(hostname)"' : /^[\w.-]+$/.test(name) ? name : `'${name}'`;
  return `npx --yes ${server}/viber.tgz onboard --server ${server} --token ${token} --name ${nameArg}`;
}

const tooManyVibers = () =>
  new HttpError(
    'conflict',
    `at most ${MAX_VIBERS_PER_USER} Vibers per user: remove one you no longer use (DELETE /api/vibers/:id) first`,
  );

export function viberRoutes(router: Router, s: Services): void {
  router.on('POST', '/api/vibers/onboarding-tokens', async ({ req }) => {
    const user = await requireUser(s, req);
    // Optional { name }: the Viber's name, prefilled in the command (default: the machine's host name).
    const { name } = await parseBody(onboardingTokenSchema, req);
    if ((await s.storage.listVibers(user.userId)).length >= MAX_VIBERS_PER_USER) throw tooManyVibers();
    const token = newToken(TokenKind.onboarding, 24);
    const now = Date.now();
    const expiresAt = now + ONBOARDING_TTL_MS;
    await s.storage.createOnboardingToken(hashToken(token), user.userId, expiresAt, {
      now,
      keep: MAX_ONBOARDING_TOKENS_PER_USER,
    });
    return withStatus(201, { token, command: onboardCommand(s.publicUrl(req), token, name), expiresAt });
  });

  router.on('POST', '/api/vibers/onboard', async ({ req }) => {
    const input = await parseBody(onboardSchema, req);
    const consumed = await s.storage.consumeOnboardingToken(hashToken(input.token), Date.now());
    if (!consumed.ok) {
      if (consumed.reason === 'used')
        throw new HttpError(
          'conflict',
          'the onboarding token was already used; create a new one in the app',
          { field: 'token' },
        );
      throw new HttpError(
        'unauthorized',
        `the onboarding token is ${consumed.reason === 'expired' ? 'expired' : 'unknown'}; create a new one in the app`,
        { field: 'token' },
      );
    }
    // Checked again here: tokens given out while there was room may outnumber it.
    if ((await s.storage.listVibers(consumed.userId)).length >= MAX_VIBERS_PER_USER) throw tooManyVibers();
    const viberId = newId<ViberId>('vbr');
    const authToken = newToken(TokenKind.viber);
    const now = Date.now();
    await s.storage.createViber(
      {
        viberId,
        userId: consumed.userId,
        name: input.name,
        publicKey: input.publicKey,
        createdAt: now,
        lastSeenAt: 0,
      },
      hashToken(authToken),
    );
    // Not refused by the storage quota once the token is used up: the Viber's registry entry is small
    // and bounded by MAX_VIBERS_PER_USER, and a refusal here would leave a Viber half onboarded.
    await s.docs.writeExempt(workspaceDocName(consumed.userId), (doc) =>
      upsertViber(doc, {
        id: viberId,
        name: input.name,
        publicKey: input.publicKey,
        createdAt: now,
        lastSeenAt: 0,
      }),
    );
    return withStatus(201, { viberId, userId: consumed.userId, authToken });
  });

  router.on('GET', '/api/vibers', async ({ req }) => {
    const user = await requireUser(s, req);
    const vibers = await s.storage.listVibers(user.userId);
    return vibers.map((v) => ({
      id: v.viberId,
      name: v.name,
      publicKey: v.publicKey,
      online: s.presence.isOnline(v.viberId) || s.docs.isViberConnected(viberDocName(user.userId, v.viberId)),
      lastSeenAt: v.lastSeenAt,
    }));
  });

  router.on('DELETE', '/api/vibers/:id', async ({ req, params }) => {
    // The user, or the Viber itself: `viber onboard --trust` withdraws when the fingerprint differs ([T3]).
    const user = await requirePrincipal(s, req);
    if (user.kind === 'viber' && user.viberId !== params.id)
      throw new HttpError('forbidden', 'a Viber may remove only itself');
    if (!(await s.auth.revokeViber(user.userId, params.id))) throw notFound(`Viber '${params.id}'`);
    s.closeConnections((p) => p.kind === 'viber' && p.viberId === params.id);
    await s.docs.writeExempt(workspaceDocName(user.userId), (doc) => removeViberCascade(doc, params.id));
    await s.deletions.collectOrRetry(user.userId);
    return { deleted: true };
  });

  router.on('GET', '/api/vibers/:id/config', async ({ req, params }) => {
    const principal = await requirePrincipal(s, req);
    if (principal.kind === 'viber' && principal.viberId !== params.id) {
      throw new HttpError('forbidden', 'a Viber may read only its own config');
    }
    const vibers = await s.storage.listVibers(principal.userId);
    if (!vibers.some((v) => v.viberId === params.id)) throw notFound(`Viber '${params.id}'`);
    return s.docs.read(workspaceDocName(principal.userId), (doc) => {
      const bindings = listBindings(doc, { viberId: params.id });
      const envIds = [...new Set(bindings.map((b) => b.environmentId))];
      const environments = envIds.flatMap((id) => {
        const env = getEnvironment(doc, id);
        return env ? [environmentView(env)] : [];
      });
      return { version: VERSION, environments, bindings };
    });
  });
}
