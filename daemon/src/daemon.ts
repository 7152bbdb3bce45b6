// `viber start`: the headless peer. Joins the workspace and its tasks read-only, writes only its own
// documents, publishes health and presence, and reconciles prepares, task runs and re-seals.
import { hostname, platform } from 'node:os';
import {
  VERSION,
  listTasks,
  prepareLogDocName,
  runOutputDocName,
  taskDocName,
  viberDocName,
  workspaceDocName,
  writeHealth,
} from '@openviber/shared';
import { probeCapabilities } from './capabilities.ts';
import { readConfig, stateDir, workspaceRoot } from './config.ts';
import { Connection } from './connection.ts';
import { PrepareReconciler } from './prepare-reconciler.ts';
import { publishReseals } from './reseal.ts';
import { killOrphanRuns } from './run-records.ts';
import { createRunner } from './runner.ts';
import { TaskWorker } from './task-worker.ts';
import { messageOf } from './viber-error.ts';

export interface DaemonOptions {
  home: string;
  log: (line: string) => void;
  taskTimeoutMs?: number;
}

export interface RunningDaemon {
  /** Stops everything: running tasks are recorded interrupted, pending writes flushed. */
  stop(): Promise<void>;
  /** Resolves with an exit code when the daemon ends on its own (its token was refused). */
  ended: Promise<number>;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { home, log } = options;
  const config = readConfig(home);
  const root = workspaceRoot(home);
  const state = stateDir(home);
  // Before anything new can run in a checkout the old processes may still be writing to.
  const orphans = await killOrphanRuns(state);
  if (orphans.length) log(`stopped what a previous run left running: ${orphans.join('; ')}`);
  // Probed while the connection comes up, so the Viber shows online as early as possible.
  const probing = probeCapabilities();

  let lastStatus = '';
  let endDaemon!: (code: number) => void;
  const ended = new Promise<number>((r) => (endDaemon = r));
  const conn = new Connection(config.server, config.authToken, {
    onStatus: (status) => {
      // Log changes only: a long outage retries every few seconds and need not fill the log.
      if (status === 'connecting' || status === lastStatus) return;
      lastStatus = status;
      log(status === 'connected' ? 'connected' : 'disconnected; reconnecting with backoff');
    },
    onAuthFailed: (name, reason) => {
      log(
        `the server refused this Viber's token for ${name} (${reason}); was it removed? Onboard again with a new token.`,
      );
      endDaemon(2);
    },
  });
  const { userId, viberId } = config;
  const keys = { publicKey: config.publicKey, privateKey: config.privateKey };
  const workspace = conn.open(workspaceDocName(userId));
  const viber = conn.open(viberDocName(userId, viberId));
  viber.provider.setAwarenessField('viber', { online: true, version: VERSION, viberId });
  log(`connecting to ${config.server} as Viber ${config.name} (${viberId})`);
  const [capabilities] = await Promise.all([probing, workspace.synced, viber.synced]);
  log('synced with the server');
  log(
    `capabilities: git=${capabilities.git} networkIsolation=${capabilities.networkIsolation} container=${capabilities.container || 'none'} hidesKeys=${capabilities.hidesKeys}`,
  );
  writeHealth(viber.doc, {
    version: VERSION,
    hostname: hostname(),
    platform: `${platform()}-${process.arch}`,
    startedAt: Date.now(),
    workspaceRoot: root,
    capabilities,
  });

  const runner = createRunner({
    home,
    root,
    stateDir: state,
    capabilities,
    ownSecrets: [
      { name: 'VIBER_TOKEN', value: config.authToken },
      { name: 'VIBER_PRIVATE_KEY', value: config.privateKey },
    ],
  });
  const common = { viberId, keys, root, stateDir: state, runner, viberDoc: viber.doc };
  const reconciler = new PrepareReconciler({
    ...common,
    workspace: workspace.doc,
    log,
    openLogDoc: async (bindingId) => {
      const open = conn.open(prepareLogDocName(userId, viberId, bindingId));
      await open.synced;
      return open.doc;
    },
  });

  const workers = new Map<string, Promise<TaskWorker>>();
  const openWorker = async (taskId: string) => {
    const taskDoc = conn.open(taskDocName(userId, taskId));
    const runDoc = conn.open(runOutputDocName(userId, viberId, taskId));
    await Promise.all([taskDoc.synced, runDoc.synced]);
    const worker = new TaskWorker(taskId, {
      ...common,
      workspace: workspace.doc,
      taskDoc: taskDoc.doc,
      runDoc: runDoc.doc,
      timeoutMs: options.taskTimeoutMs ?? 60 * 60_000,
      prepareSettled: (bindingId) => reconciler.settled(bindingId),
      log,
    });
    worker.poke();
    return worker;
  };

  const published = new Map<string, number>();
  let scheduled = false;
  let stopping = false;
  const reconcile = () => {
    scheduled = false;
    if (stopping) return;
    reconciler.reconcile();
    const tasks = new Set(listTasks(workspace.doc, { viberId }).map((t) => t.id as string));
    for (const taskId of tasks) {
      const existing = workers.get(taskId);
      if (existing) void existing.then((w) => w.poke());
      else workers.set(taskId, openWorker(taskId));
    }
    // A deleted task (or one moved to another Viber): stop its run and let go of its documents.
    for (const [taskId, worker] of workers) {
      if (tasks.has(taskId)) continue;
      workers.delete(taskId);
      void worker.then(async (w) => {
        await w.stop();
        conn.close(taskDocName(userId, taskId));
        conn.close(runOutputDocName(userId, viberId, taskId));
      });
    }
    publishReseals(workspace.doc, viber.doc, viberId, keys, published).catch((e: unknown) =>
      log(`re-seal failed: ${messageOf(e)}`),
    );
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(reconcile, 10);
  };
  workspace.doc.on('update', schedule);
  reconcile();

  return {
    ended,
    async stop() {
      stopping = true;
      workspace.doc.off('update', schedule);
      reconciler.stop();
      await Promise.all([...workers.values()].map(async (w) => (await w).stop()));
      const deadline = Date.now() + 2_000;
      while (conn.hasUnsyncedChanges() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      conn.destroy();
    },
  };
}
