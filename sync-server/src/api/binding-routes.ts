// POST /api/bindings/:id/prepare: bumps the generation (environment:prepare), the Viber reconciles.
import { bumpGeneration, getBinding, getEnvironment, workspaceDocName } from '@openviber/shared';
import { notFound } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { requireUser, type Services } from './api-context.ts';
import { bindingViews } from './views.ts';

export function bindingRoutes(router: Router, s: Services): void {
  router.on('POST', '/api/bindings/:id/prepare', async ({ req, params }) => {
    const user = await requireUser(s, req);
    const { binding, env } = await s.docs.write(workspaceDocName(user.userId), (doc) => {
      if (bumpGeneration(doc, params.id) === null) throw notFound(`binding '${params.id}'`);
      const binding = getBinding(doc, params.id)!;
      return { binding, env: getEnvironment(doc, binding.environmentId) };
    });
    const envs = new Map(env ? [[env.id as string, env]] : []);
    const [view] = await bindingViews(s, user.userId, [binding], envs);
    return view;
  });
}
