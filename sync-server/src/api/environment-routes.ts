// /api/environments and their bindings.
import { taken } from './claims.ts';
import {
  bindingCreateSchema,
  createBinding,
  createEnvironment,
  environmentCreateSchema,
  environmentPatchSchema,
  environmentView,
  getBinding,
  getEnvironment,
  listBindings,
  listEnvironments,
  patchEnvironment,
  removeEnvironmentCascade,
  sourceFieldsSchema,
  validate,
  workspaceDocName,
  type SealedSecretInput,
} from '@openviber/shared';
import { HttpError, notFound, validationError } from '../http/http-error.ts';
import { withStatus, type Router } from '../http/router.ts';
import { requireUser, type Services } from './api-context.ts';
import { parseBody } from './parse-body.ts';
import { bindingViews } from './views.ts';

/** Every ciphertext must be sealed to one of the user's Vibers. */
async function checkSealedFor(
  s: Services,
  userId: string,
  secrets: Record<string, SealedSecretInput | null> | undefined,
) {
  if (!secrets) return;
  const vibers = new Set((await s.storage.listVibers(userId)).map((v) => v.viberId));
  for (const [key, secret] of Object.entries(secrets)) {
    for (const viberId of Object.keys(secret?.sealed ?? {})) {
      if (!vibers.has(viberId)) {
        const field = `secrets.${key}.sealed.${viberId}`;
        throw validationError(`${field}: is not one of your Vibers`, [
          { field, message: 'is not one of your Vibers' },
        ]);
      }
    }
  }
}

export function environmentRoutes(router: Router, s: Services): void {
  router.on('POST', '/api/environments', async ({ req }) => {
    const user = await requireUser(s, req);
    const input = await parseBody(environmentCreateSchema, req);
    await checkSealedFor(s, user.userId, input.secrets);
    const env = await s.docs.write(workspaceDocName(user.userId), (doc) =>
      getEnvironment(doc, createEnvironment(doc, input))!,
    );
    return withStatus(201, environmentView(env));
  });

  router.on('GET', '/api/environments', async ({ req }) => {
    const user = await requireUser(s, req);
    return s.docs.read(workspaceDocName(user.userId), (doc) => listEnvironments(doc).map(environmentView));
  });

  router.on('GET', '/api/environments/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const env = await s.docs.read(workspaceDocName(user.userId), (doc) => getEnvironment(doc, params.id));
    if (!env) throw notFound(`environment '${params.id}'`);
    return environmentView(env);
  });

  router.on('PUT', '/api/environments/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const patch = await parseBody(environmentPatchSchema, req);
    await checkSealedFor(s, user.userId, patch.secrets);
    const env = await s.docs.write(workspaceDocName(user.userId), (doc) => {
      const current = getEnvironment(doc, params.id);
      if (!current) throw notFound(`environment '${params.id}'`);
      // Cross-field rules are checked on the result, before anything is written.
      const merged = validate(sourceFieldsSchema, { ...current, ...patch });
      if (!merged.ok) throw validationError(merged.error.message, merged.error.issues);
      patchEnvironment(doc, params.id, patch);
      return getEnvironment(doc, params.id)!;
    });
    return environmentView(env);
  });

  router.on('DELETE', '/api/environments/:id', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const found = await s.docs.writeExempt(workspaceDocName(user.userId), (doc) =>
      removeEnvironmentCascade(doc, params.id),
    );
    if (!found) throw notFound(`environment '${params.id}'`);
    await s.deletions.collectOrRetry(user.userId);
    return { deleted: true };
  });

  router.on('POST', '/api/environments/:id/bindings', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const input = await parseBody(bindingCreateSchema, req);
    const vibers = await s.storage.listVibers(user.userId);
    if (!vibers.some((v) => v.viberId === input.viberId)) {
      throw validationError('viberId: is not one of your Vibers', [
        { field: 'viberId', message: 'is not one of your Vibers' },
      ]);
    }
    const alreadyBound = () =>
      new HttpError('conflict', `environment '${params.id}' is already bound to Viber '${input.viberId}'`, {
        field: 'viberId',
      });
    // Two requests on two processes at once: each copy lacks the other's binding; one claim decides.
    const created = await s.claims.hold(`binding:${user.userId}:${params.id}:${input.viberId}`, () =>
      s.docs.write(workspaceDocName(user.userId), (doc) => {
        const env = getEnvironment(doc, params.id);
        if (!env) throw notFound(`environment '${params.id}'`);
        if (listBindings(doc, { environmentId: params.id, viberId: input.viberId }).length)
          throw alreadyBound();
        return { binding: getBinding(doc, createBinding(doc, params.id, input))!, env };
      }),
    );
    if (created === taken) throw alreadyBound();
    const { binding, env } = created;
    const [view] = await bindingViews(s, user.userId, [binding], new Map([[env.id, env]]));
    return withStatus(201, view);
  });

  router.on('GET', '/api/environments/:id/bindings', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const { env, bindings } = await s.docs.read(workspaceDocName(user.userId), (doc) => ({
      env: getEnvironment(doc, params.id),
      bindings: listBindings(doc, { environmentId: params.id }),
    }));
    if (!env) throw notFound(`environment '${params.id}'`);
    return bindingViews(s, user.userId, bindings, new Map([[env.id, env]]));
  });
}
