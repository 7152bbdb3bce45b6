// `viber start`: the headless peer. Joins the workspace and its tasks read-only, writes only its own
// documents (kept on its disk too, [V1]), publishes health and presence, and reconciles prepares,
// task runs (journalled, [V2]; only tasks with work pending, [V3]) and re-seals.
import { mkdirSync } from 'node:fs';
import { hostname, platform } from 'node:os';
import { join } from 'node:path';
import {
  DeletedKind,
  VERSION,
  listDeletions,
  listTasks,
  observeDeletions,
  prepareLogDocName,
  readLimitReason,
  viberDocName,
  workspaceDocName,
  viberPresenceState,
  type ViberId,
  writeHealth,
  TrustMode,
} from '@openviber/shared';
import { signingKeyFingerprint } from '@openviber/shared/crypto';
import { AbsenceClock } from './absence-clock.ts';
import { removeCacheVolumes } from './cache-volumes.ts';
import { probeCapabilities } from './capabilities.ts';
import { readConfig, stateDir, workspaceRoot } from './config.ts';
import { Connection } from './connection.ts';
import { viberRedactionValues } from './env-secrets.ts';
import { IntentGuard } from './intent-guard.ts';
import { paced } from './paced.ts';
import { PrepareReconciler } from './prepare-reconciler.ts';
import { publishReseals } from './reseal.ts';
import { RemovedVibers } from './removed-vibers.ts';
import {
  ABSENT_GRACE_MS,
  MAX_RUN_PROCESSES,
  REFUSED_TASK_RETRY_MS,
  STOP_FLUSH_MS,
  STOP_WORK_GRACE_MS,
} from './limits.ts';
import { RunJournal } from './run-journal.ts';
import { killOrphanRuns } from './run-records.ts';
import { createRunner } from './runner.ts';
import { TaskSlots } from './task-slots.ts';
import { TaskWorker } from './task-worker.ts';
import { SchemaGuard } from './schema-guard.ts';
import { removeWhatIsGone } from './viber-cleanup.ts';
import { messageOf } from './viber-error.ts';

/**
 * While workspace updates keep coming, the next reconcile waits this many times what the last one
 * took (from its start), so reconciles take at most a fifth of the daemon's time through a burst —
 * a sync after reconnecting, another device's edits — and a cheap one does not hold up the next
 * change: a new binding after an environment's creation starts preparing within a few ms.
 */
const RECONCILE_GAP_PER_COST = 5;
/** …and never longer than this, however slow the last one was. */
const RECONCILE_MAX_GAP_MS = 1_000;

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
  const localDir = localDocsDir(home);
  mkdirSync(state, { recursive: true, mode: 0o700 });
  // Before anything new can run in a checkout the old processes may still be writing to.
  const orphans = await killOrphanRuns(state);
  if (orphans.length) log(`stopped what a previous run left running: ${orphans.join('; ')}`);
  const journal = new RunJournal(state);
  // Probed while the connection comes up, so the Viber shows online as early as possible.
  const probing = probeCapabilities();

  let lastStatus = '';
  let endDaemon!: (code: number) => void;
  const ended = new Promise<number>((r) => (endDaemon = r));
  const conn: Connection = new Connection(config.server, config.authToken, {
    onStatus: (status) => {
      // Log changes only: a long outage retries with backoff and need not fill the log.
      if (status === 'connecting' || status === lastStatus) return;
      lastStatus = status;
      log(
        status === 'connected'
          ? 'connected'
          : `disconnected; reconnecting in ${(conn.reconnectDelayMs / 1000).toFixed(1)} s`,
      );
    },
    onAuthFailed: (name, reason) => {
      // Any live token of ours opens the workspace and our own document: refused there, the token
      // is gone. Another document refused (its task deleted as we opened it, a connection limit)
      // is let go — its task or prepare lets go of it and tries again later — never the whole Viber.
      const own = [workspaceDocName(config.userId), viberDocName(config.userId, config.viberId)];
      if (!own.includes(name)) {
        log(`the server refused ${name} (${reason}); closed it, tried again later`);
        conn.drop(name);
        return;
      }
      // A limit (the user's documents take too much of the server's memory, say), not the token.
      const limit = readLimitReason(reason);
      if (limit) return conn.retryAfterLimit(name, limit);
      log(
        `the server refused this Viber's token for ${name} (${reason}); was it removed? Onboard again with a new token.`,
      );
      endDaemon(2);
    },
    onLimit: (name, reason, retryMs) =>
      log(`a server limit refused ${name} (${reason}); trying again in ${Math.round(retryMs / 1000)} s`),
    stamp: { own: viberDocName(config.userId, config.viberId), writer: `viber ${VERSION}` },
  });
  const { userId } = config;
  // Validated as an id when the config was read (viberConfigSchema): from here on it is a ViberId.
  const viberId = config.viberId as ViberId;
  const keys = { publicKey: config.publicKey, privateKey: config.privateKey };
  const ownSecrets = viberRedactionValues(config);
  const workspace = conn.open(workspaceDocName(userId));
  // Our own document comes from our disk first: what we wrote survives a server that lost it.
  const viber = conn.open(viberDocName(userId, viberId), {
    localDir,
    awareness: viberPresenceState({ version: VERSION, viberId }),
  });
  log(`connecting to ${config.server} as Viber ${config.name} (${viberId})`);
  const [capabilities] = await Promise.all([probing, workspace.synced, viber.synced]);
  // Pinned ([T5]): acts only on what the user's devices signed. Otherwise it trusts the server, as before.
  const pinned = config.trustedSigningKey;
  const intents =
    pinned &&
    (await IntentGuard.create(pinned, {
      viberId,
      viberPublicKey: keys.publicKey,
      viberPrivateKey: keys.privateKey,
      workspace: workspace.doc,
      viberDoc: viber.doc,
      stateDir: state,
    }));
  const trust = pinned
    ? { trust: TrustMode.pinned, trustedKeyFingerprint: await signingKeyFingerprint(pinned) }
    : { trust: TrustMode.server, trustedKeyFingerprint: '' };
  log(
    pinned
      ? `trust: pinned signing key ${trust.trustedKeyFingerprint}`
      : 'trust: the server (no pinned signing key)',
  );
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
    ...trust,
  });

  const runner = createRunner({
    home,
    root,
    stateDir: state,
    capabilities,
    ownSecrets,
    spoolDir: join(state, 'output'),
  });
  // [R3a] The kernel does not apply RLIMIT_NPROC to root: a pids cgroup per run does, where this
  // machine has one the Viber can use. Say which where the user will look.
  if (capabilities.hidesKeys && process.getuid?.() === 0) {
    const cgroups = await runner.rootProcessLimit();
    log(
      cgroups
        ? `running as root: each setup and task in bubblewrap gets a pids cgroup of its own under ${cgroups}, limited to MAX_RUN_PROCESSES (${MAX_RUN_PROCESSES}) processes`
        : `running as root: setups and tasks in bubblewrap have no process limit (the kernel exempts root from MAX_RUN_PROCESSES, ${MAX_RUN_PROCESSES}, and this machine has no pids cgroup the Viber can use); a container image limits an environment's`,
    );
  }
  const schemaGuard = new SchemaGuard(viber.doc, log);
  schemaGuard.start();
  const common = {
    viberId,
    keys,
    ownSecrets,
    root,
    stateDir: state,
    runner,
    viberDoc: viber.doc,
    schemaGuard,
    ...(intents ? { intents } : {}),
  };
  const reconciler = new PrepareReconciler({
    ...common,
    workspace: workspace.doc,
    log,
    openLogDoc: async (bindingId) => {
      const name = prepareLogDocName(userId, viberId, bindingId);
      // Kept on our disk like every document we write ([V1]): a log written while the server was
      // down, or lost by a server that died before storing it, is re-sent (Connection.resendPending).
      const open = conn.open(name, { localDir });
      await open.synced.catch(async (error: unknown) => {
        // Refused by the server (a connection limit; a deletion on its way): the prepare fails and
        // is tried again at a reconcile — after a pause, not in a loop against the same refusal.
        if (!stopping) await new Promise((r) => setTimeout(r, REFUSED_TASK_RETRY_MS));
        throw error;
      });
      return { doc: open.doc, close: () => conn.close(name) };
    },
  });

  const slots: TaskSlots = new TaskSlots({
    conn,
    userId,
    viberId,
    localDir,
    journal,
    makeWorker: (taskId, taskDoc, runDoc, changesDoc) =>
      new TaskWorker(taskId, {
        ...common,
        workspace: workspace.doc,
        taskDoc,
        runDoc,
        changesDoc,
        journal,
        timeoutMs: options.taskTimeoutMs ?? 60 * 60_000,
        prepareSettled: (bindingId) => reconciler.settled(bindingId),
        onIdle: (updatedAt) => {
          slots.idle(taskId, updatedAt);
          schedule(); // its slot may be wanted by a task still waiting
        },
        log,
      }),
    onReleased: () => {
      cleanupDue = true;
      schedule();
    },
  });

  // What a deleted binding or task left on this Viber goes once nothing uses it ([V5]); one merely
  // absent from the workspace only after ABSENT_GRACE_MS connected and synced (a crashed server may
  // have lost it until a device re-sends it).
  let cleanupDue = true;
  const absence = new AbsenceClock(ABSENT_GRACE_MS);
  const cleanup = () => {
    cleanupDue = false;
    const removed = removeWhatIsGone({
      workspace: workspace.doc,
      viberDoc: viber.doc,
      userId,
      viberId,
      root,
      stateDir: state,
      localDir,
      journal,
      absence,
      synced: workspace.provider?.synced === true,
      // A binding's checkout goes only once no prepare of it runs and no task runs anything: a task
      // deleted with it may still be running there (its worktree's git directory is in it, too).
      inUse: (kind, id) =>
        kind === 'task' ? slots.isOpen(id) : reconciler.isRunning(id) || slots.anyWorking,
    });
    cleanupDue = removed.pending;
    for (const id of removed.bindings) log(`binding ${id} is gone: removed its checkout and observation`);
    if (removed.tasks.length) log(`removed what ${removed.tasks.length} deleted task(s) left on this Viber`);
    // A deleted environment's cache volume, once no run or prepare of it may still use it (the
    // engine's forced removal would take a running container with it).
    if (volumesDue && !removed.busy && !removingVolumes) removeVolumes();
  };
  // At start (deletions made while we were stopped) and at each new environment deletion.
  let volumesDue = true;
  let removingVolumes = false;
  const removeVolumes = () => {
    volumesDue = false;
    removingVolumes = true;
    const deletedEnvironments = new Set(
      listDeletions(workspace.doc)
        .filter((d) => d.kind === DeletedKind.environment)
        .map((d) => d.id),
    );
    removeCacheVolumes(runner, root, deletedEnvironments)
      .then(
        (names) => {
          if (names.length) log(`removed the cache volume(s) of deleted environments: ${names.join(', ')}`);
        },
        // Tried again at the next environment deletion or start, not in a loop against a dead engine.
        (error: unknown) => log(`removing cache volumes failed: ${messageOf(error)}`),
      )
      .finally(() => {
        removingVolumes = false;
        if (!volumesDue) return;
        cleanupDue = true; // an environment deleted meanwhile
        schedule();
      });
  };
  const stopObservingDeletions = observeDeletions(workspace.doc, (added) => {
    cleanupDue = true;
    if (added.some((d) => d.kind === DeletedKind.environment)) volumesDue = true;
  });

  const published = new Map<string, number>();
  const removedVibers = new RemovedVibers(state);
  let stopping = false;
  const reconcile = () => {
    if (stopping) return;
    reconciler.reconcile();
    slots.reconcile(listTasks(workspace.doc, { viberId }));
    if (cleanupDue) {
      try {
        cleanup();
      } catch (error) {
        log(`cleanup failed: ${messageOf(error)}`);
      }
    }
    publishReseals(
      workspace.doc,
      viber.doc,
      viberId,
      keys,
      published,
      intents || undefined,
      removedVibers,
    ).catch((e: unknown) => log(`re-seal failed: ${messageOf(e)}`));
  };
  // The updates of one turn share a reconcile; a burst's reconciles are spaced by what they cost.
  const reconciles = paced(reconcile, (took) =>
    Math.min(RECONCILE_MAX_GAP_MS, took * RECONCILE_GAP_PER_COST),
  );
  const schedule = () => reconciles.request();
  workspace.doc.on('update', schedule);
  // Idle tasks are closed on a timer too, not only when the workspace changes.
  const tick = setInterval(schedule, 5_000);
  reconcile();
  // After the first cleanup (what deleted tasks and bindings left is gone): documents of ours with
  // a change the server may lack — a run that ended or a log written while it was down — go to it
  // now and at every reconnect, whether or not anything opens them again ([V1]).
  conn.resendPending(localDir);

  return {
    ended,
    async stop() {
      stopping = true;
      reconciles.stop();
      clearInterval(tick);
      workspace.doc.off('update', schedule);
      stopObservingDeletions();
      // Running work is asked to stop and record itself; a process that will not is left to the
      // runner's kill and to the next start's orphan cleanup, so SIGTERM always ends promptly.
      await settleWithin(STOP_WORK_GRACE_MS, [reconciler.stop(), slots.stop()]);
      await conn.flushed(STOP_FLUSH_MS);
      conn.destroy(); // the journal stays open: a run still stopping may yet record its end
    },
  };
}

/** Where the Viber keeps its own documents on disk. */
export const localDocsDir = (home: string) => join(home, 'docs');

/** Waits for `work`, but not longer than `ms`. */
async function settleWithin(ms: number, work: Promise<unknown>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(work), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
