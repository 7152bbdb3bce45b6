// A user with an onboarded Viber bound to a manual environment (no daemon runs until `viber.start()`),
// for tests that drive the Viber's Connection themselves against a real server.
import { ok, signupUser } from './server-api.ts';
import { onboardViber } from './viber-process.ts';

export async function boundViber(server: string, environmentName: string) {
  const user = await signupUser(server);
  const viber = await onboardViber(server, user.token);
  const { userId, viberId, authToken } = viber.config;
  const api = (method: string, path: string, body?: unknown) => ok(server, method, path, user.token, body);
  const env = await api('POST', '/api/environments', { name: environmentName, type: 'manual' });
  await api('POST', `/api/environments/${env.id}/bindings`, { viberId, strategy: 'clone' });
  /** A new task of the environment, on this Viber (the server then lets it write the task's run output). */
  const newTask = async (title: string): Promise<{ id: string }> =>
    api('POST', '/api/tasks', { environmentId: env.id, title, viberId });
  return { user, userId, viberId, authToken, api, env, newTask, viber };
}
