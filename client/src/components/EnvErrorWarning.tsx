// Starting or continuing a task in an environment whose prepare failed: say so before it fails.
import type { Environment } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { bindingViews } from '../models/environment-status.ts';

export function EnvErrorWarning({ env }: { env: Environment }) {
  const app = useApp();
  const failed = bindingViews(env, app.workspace.bindings.value, app.vibers.views.value).filter(
    (v) => v.status === 'error',
  );
  if (!failed.length) return null;
  return (
    <div class="callout err" role="alert" data-testid="env-error-warning">
      Preparing {env.name} failed on {failed.map((v) => v.viber?.record.name ?? 'a Viber').join(', ')}: tasks
      may fail there. <a href={`#/environments/${env.id}/mappings`}>See the setup log and prepare again</a>
    </div>
  );
}
