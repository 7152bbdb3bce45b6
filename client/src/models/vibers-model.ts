// Each registered Viber's own document (read-only for the app): health, observations, re-seals, run summaries, online state.
import { computed, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import {
  listObservations,
  listRefusals,
  listReseals,
  readHealth,
  readViberPresence,
  readTaskRunSummary,
  viberDocName,
  viberRunsOlderSchema,
  type Observation,
  type Refusal,
  type Reseal,
  type TaskRunSummary,
  type ViberHealth,
  type ViberRecord,
} from '@openviber/shared';
import type { DocStore, OpenDoc } from '../sync/doc-store.ts';
import { docVersion } from './doc-version.ts';

/** What this device knows of a Viber's connection: nothing while this device is itself offline. */
export type ViberPresence = 'online' | 'offline' | 'unknown';

export interface ViberView {
  record: ViberRecord;
  /** Its daemon holds a connection right now ([S7]: awareness as shared's viberPresenceState writes it). */
  online: boolean;
  /** `online`, `offline`, or `unknown` while this device is offline (its awareness is stale then). */
  presence: ViberPresence;
  /** Online, and its presence names an older document schema than this app's or none ([S12]): update it. */
  olderVersion: boolean;
  health: ViberHealth | null;
  observations: Map<string, Observation>;
  reseals: Reseal[];
  /** What this Viber would not act on and why ([T5]): unsigned (awaiting approval), bad signature, rolled back. */
  refusals: Refusal[];
  doc: OpenDoc['doc'];
}

interface Opened {
  handle: OpenDoc;
  version: ReadonlySignal<number>;
  online: Signal<boolean>;
  /** Its presence (while online) names an older document schema, or none. */
  older: Signal<boolean>;
  stop: () => void;
}

/** Keeps one open document per registered Viber, following the registry. */
export function createVibersModel(store: DocStore, userId: string, registry: ReadonlySignal<ViberRecord[]>) {
  const opened = signal(new Map<string, Opened>());

  function openViber(id: string): Opened {
    const handle = store.open(viberDocName(userId, id));
    const [version, stopVersion] = docVersion(handle.doc);
    const online = signal(false);
    const older = signal(false);
    const awareness = handle.provider.awareness;
    const readOnline = () => {
      if (!awareness) return;
      let on = false;
      let old = false;
      awareness.getStates().forEach((state, clientId) => {
        const p = clientId === awareness.clientID ? null : readViberPresence(state);
        if (!p?.online) return;
        on = true;
        old = viberRunsOlderSchema(p);
      });
      online.value = on;
      older.value = old;
    };
    awareness?.on('change', readOnline);
    // Awareness of a disconnected socket is stale: the Viber is not known to be online.
    const onStatus = ({ status }: { status: string }) => {
      if (status !== 'connected') online.value = older.value = false;
      else readOnline();
    };
    handle.provider.on('status', onStatus);
    return {
      handle,
      version,
      online,
      older,
      stop: () => {
        awareness?.off('change', readOnline);
        handle.provider.off('status', onStatus);
        stopVersion();
        handle.release();
      },
    };
  }

  const stopFollow = effect(() => {
    const ids = new Set<string>(registry.value.map((v) => v.id));
    const current = opened.peek();
    let changed = false;
    const next = new Map(current);
    for (const id of ids) {
      if (!next.has(id)) {
        next.set(id, openViber(id));
        changed = true;
      }
    }
    for (const [id, o] of current) {
      if (!ids.has(id)) {
        o.stop();
        next.delete(id);
        changed = true;
      }
    }
    if (changed) opened.value = next;
  });

  const views = computed(() => {
    const out = new Map<string, ViberView>();
    for (const record of registry.value) {
      const o = opened.value.get(record.id);
      if (!o) continue;
      void o.version.value;
      // With this device offline, awareness is stale: a Viber is neither known online nor offline.
      const presence: ViberPresence = !store.browserOnline.value
        ? 'unknown'
        : o.online.value
          ? 'online'
          : 'offline';
      out.set(record.id, {
        record,
        online: presence === 'online',
        presence,
        olderVersion: presence === 'online' && o.older.value,
        health: readHealth(o.handle.doc),
        observations: listObservations(o.handle.doc),
        reseals: listReseals(o.handle.doc),
        refusals: listRefusals(o.handle.doc),
        doc: o.handle.doc,
      });
    }
    return out;
  });

  /** The latest run state of a task on its Viber, for task rows. */
  function taskRun(viberId: string, taskId: string): TaskRunSummary | undefined {
    const o = opened.value.get(viberId);
    if (!o) return undefined;
    void o.version.value;
    return readTaskRunSummary(o.handle.doc, taskId);
  }

  return {
    views,
    taskRun,
    dispose() {
      stopFollow();
      for (const o of opened.peek().values()) o.stop();
      opened.value = new Map();
    },
  };
}

export type VibersModel = ReturnType<typeof createVibersModel>;
