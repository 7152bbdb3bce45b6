// A user with a running Viber and a peer watching its documents: the setup most integration tests share.
import {
  prepareLogDocName,
  readObservation,
  readPrepareLog,
  runOutputDocName,
  getRun,
  viberDocName,
  type Observation,
} from '@openviber/shared';
import { sealSecret } from '@openviber/shared/crypto';
import type { SpawnedServer } from '../../sync-server/testing/spawn-server.ts';
import { ok, signupUser } from './server-api.ts';
import { userPeer, type UserPeer } from './user-peer.ts';
import { onboardViber, type TestViber } from './viber-process.ts';
import { waitFor } from './wait-for.ts';

export interface Scenario {
  server: SpawnedServer;
  user: { token: string; userId: string };
  viber: TestViber;
  peer: UserPeer;
  api<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** Creates an environment (secrets given as plaintext are sealed to this Viber) bound to the Viber. */
  environment(
    fields: Record<string, unknown>,
    secrets?: Record<string, { value: string; scope?: string }>,
    binding?: Record<string, unknown>,
  ): Promise<{ envId: string; bindingId: string }>;
  /** Waits until the binding's observation reached `generation` and a final state. */
  prepared(bindingId: string, generation?: number): Promise<Observation>;
  prepareLog(bindingId: string): Promise<string[]>;
  task(envId: string): Promise<string>;
  send(taskId: string, text: string): Promise<string>;
  run(taskId: string, messageId: string): Promise<ReturnType<typeof getRun>>;
  /** Waits for the run to reach a state in `states`. */
  runState(
    taskId: string,
    messageId: string,
    states: string[],
  ): Promise<NonNullable<ReturnType<typeof getRun>>>;
}

export async function scenario(server: SpawnedServer, env: Record<string, string> = {}): Promise<Scenario> {
  const user = await signupUser(server.url);
  const viber = await onboardViber(server.url, user.token);
  viber.start(env);
  const peer = userPeer(server.wsUrl, user.token);
  const { userId } = user;
  const viberId = viber.config.viberId;
  const api = <T = any>(method: string, path: string, body?: unknown) =>
    ok<T>(server.url, method, path, user.token, body);
  const s: Scenario = {
    server,
    user,
    viber,
    peer,
    api,
    async environment(fields, secrets = {}, binding = { strategy: 'clone' }) {
      const sealed: Record<string, unknown> = {};
      for (const [key, { value, scope }] of Object.entries(secrets)) {
        sealed[key] = {
          sealed: { [viberId]: await sealSecret(value, viber.config.publicKey) },
          scope: scope ?? 'runtime',
        };
      }
      const env = await api('POST', '/api/environments', {
        name: 'env',
        type: 'github',
        setupMode: 'manual',
        ...fields,
        secrets: sealed,
      });
      const b = await api('POST', `/api/environments/${env.id}/bindings`, { viberId, ...binding });
      return { envId: env.id, bindingId: b.id };
    },
    async prepared(bindingId, generation = 1) {
      const doc = await peer.doc(viberDocName(userId, viberId));
      try {
        return await waitFor(
          () => {
            const o = readObservation(doc, bindingId);
            return o && o.observedGeneration >= generation && o.state !== 'preparing' ? o : null;
          },
          { what: `binding ${bindingId} prepared at generation ${generation}`, timeoutMs: 30_000 },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- viber output ---\n${viber.output().slice(-3000)}`, {
          cause: error,
        });
      }
    },
    async prepareLog(bindingId) {
      return readPrepareLog(await peer.doc(prepareLogDocName(userId, viberId, bindingId))).lines;
    },
    async task(envId) {
      return (await api('POST', '/api/tasks', { environmentId: envId, title: 'a task', viberId })).id;
    },
    async send(taskId, text) {
      return (await api('POST', `/api/tasks/${taskId}/messages`, { text })).id;
    },
    async run(taskId, messageId) {
      return getRun(await peer.doc(runOutputDocName(userId, viberId, taskId)), messageId);
    },
    async runState(taskId, messageId, states) {
      const doc = await peer.doc(runOutputDocName(userId, viberId, taskId));
      return waitFor(
        () => {
          const r = getRun(doc, messageId);
          return r && states.includes(r.state) ? r : null;
        },
        { what: `run ${messageId} in ${states.join('|')}`, timeoutMs: 30_000 },
      );
    },
  };
  return s;
}
