// The user's signing key on this device (design §5b): the signals the views read, in the initial
// bundle; what reads IndexedDB, asks the server and signs (signing-actions.ts, with libsodium behind
// it) loads after first paint, so the first screen does not wait for it.
import { computed, signal, type Signal } from '@preact/signals';
import {
  appendMessage,
  bumpGeneration,
  requestPush,
  createBinding,
  getBinding,
  type BindingCreate,
} from '@openviber/shared';
import type * as Y from 'yjs';
import type { BindingStanding, SpecChange, SpecStanding } from './intent-trust.ts';
import type { OutboxEntry } from './message-outbox.ts';
import type { SigningActions } from './signing-actions.ts';

/**
 * loading: reading IndexedDB / the server. ready: this device signs. needs-device: the user has a
 * key but this device does not hold it (approve from another device or enter the recovery code).
 * error: the server could not be reached to learn which (retried by `retry`).
 */
export type KeyState = 'loading' | 'ready' | 'needs-device' | 'error';

export interface SigningOptions {
  userId: string;
  token: string;
  workspace: Y.Doc;
}

export interface SigningSignals {
  state: Signal<KeyState>;
  publicKey: Signal<string>;
  fingerprint: Signal<string>;
  /** Shown once, right after this device created the key; cleared when the user says it is saved. */
  recoveryCode: Signal<string>;
  error: Signal<string>;
  /** What this device found changed outside the app ([T10], [T11]); empty until the key is ready. */
  review: Signal<Review>;
}

/** Environments and mappings whose stored content does not stand signed for this device. */
export interface Review {
  /** Only the environments that do not stand signed. */
  specs: ReadonlyMap<string, SpecStanding>;
  /** Only the mappings that do not stand signed. */
  bindings: ReadonlyMap<string, BindingStanding>;
  /** Per environment under review: what changed since the newest validly signed version this device knows. */
  changes: ReadonlyMap<string, { knownVersion: number; changes: SpecChange[] }>;
  /** Per Viber whose mapping is under review: the key this device confirmed. */
  viberKeys: Readonly<Record<string, string>>;
  /** Per Viber whose registry key is not the one this device confirmed: the confirmed key. */
  keyChanged: Readonly<Record<string, string>>;
}

const NOTHING_TO_REVIEW: Review = {
  specs: new Map(),
  bindings: new Map(),
  changes: new Map(),
  viberKeys: {},
  keyChanged: {},
};

export function createSigningModel(opts: SigningOptions) {
  const signals: SigningSignals = {
    state: signal<KeyState>('loading'),
    publicKey: signal(''),
    fingerprint: signal(''),
    recoveryCode: signal(''),
    error: signal(''),
    review: signal<Review>(NOTHING_TO_REVIEW),
  };
  let loaded: SigningActions | null = null;
  let disposed = false;
  // Rejects when the signing code cannot be loaded (offline before it was cached): a save waiting on
  // it then fails with the reason instead of waiting for ever.
  const actions: Promise<SigningActions> = new Promise((resolve, reject) => {
    const load = () =>
      void import('./signing-actions.ts')
        .then((m) => {
          const a = m.createSigningActions(opts, signals);
          loaded = a;
          if (disposed) a.dispose(); // signed out before it loaded: it must not watch the workspace
          void a.start();
          resolve(a);
        })
        .catch((e: unknown) => {
          signals.error.value = e instanceof Error ? e.message : String(e);
          signals.state.value = 'error';
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    // After first paint: the key is needed for the first save or message, not for the first screen.
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(load, 0));
    else load();
  });
  actions.catch(() => undefined); // reported through `error`; callers see the rejection themselves
  const call =
    <K extends keyof SigningActions>(name: K) =>
    async (...args: Parameters<SigningActions[K]>): Promise<Awaited<ReturnType<SigningActions[K]>>> => {
      const a = await actions;
      return (a[name] as (...x: unknown[]) => Promise<Awaited<ReturnType<SigningActions[K]>>>)(...args);
    };
  return {
    ...signals,
    canSign: computed(() => signals.state.value === 'ready'),
    retry: call('start'),
    recover: call('recover'),
    adopt: call('adopt'),
    /** [T12] A new key when every device and the recovery code are lost (the account password authorizes it). */
    resetKey: call('resetKey'),
    /** The private key, only for sealing it to another device the user approved. */
    privateKeyForSealing: async () => (await actions).privateKeyForSealing(),
    /** Save of the editor: `before`/`after` are the stored environment around the user's write ([T10]). */
    signEdit: call('signEdit'),
    signCopy: call('signCopy'),
    /**
     * Prepare / Sync: asks the Viber to prepare again, and signs the new generation only if the mapping
     * stood signed before ([T11]); the snapshots around the bump are taken in one tick.
     */
    prepare: (bindingId: string) => {
      const before = getBinding(opts.workspace, bindingId);
      bumpGeneration(opts.workspace, bindingId);
      const after = getBinding(opts.workspace, bindingId);
      if (before && after) void call('signPrepared')(before, after);
    },
    /** Map: creates the mapping the user entered and signs exactly it, for the Viber's confirmed key ([T11]). */
    map: (environmentId: string, input: BindingCreate) => {
      const id = createBinding(opts.workspace, environmentId, input);
      const created = getBinding(opts.workspace, id);
      if (created) void call('signMapped')(created);
      return id;
    },
    approveBinding: call('approveBinding'),
    confirmViberKey: call('confirmViberKey'),
    trustNewViberKey: call('trustNewViberKey'),
    /** Save of the editor: which Vibers a new secret is sealed to (confirmed keys only, [T11]). */
    sealTargets: call('sealTargets'),
    /**
     * Signed before it is written; if signing cannot load at all, the message is still written
     * (unsigned). Sent through the outbox (message-outbox.ts), which gives it its id and time.
     */
    sendMessage: async (doc: Y.Doc, input: OutboxEntry) => {
      const a = await Promise.race([actions, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      return a
        ? a.sendMessage(doc, input)
        : appendMessage(doc, input.text, opts.userId, input.at, { messageId: input.messageId });
    },
    approveMessage: call('approveMessage'),
    signForViber: call('signForViber'),
    /** A push request signed before it is written ([A3]); if signing cannot load at all, written unsigned. */
    requestPush: async (
      doc: Y.Doc,
      input: {
        taskId: string;
        environmentId: string;
        viberId: string;
        branch: string;
        commitMessage?: string;
      },
    ) => {
      const a = await Promise.race([actions, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      if (a) return a.requestPush(doc, input);
      return requestPush(doc, { branch: input.branch, commitMessage: input.commitMessage ?? '' });
    },
    approvePush: call('approvePush'),
    approveSealedCopy: call('approveSealedCopy'),
    approveEnvironment: call('approveEnvironment'),
    cancel: call('cancel'),
    dispose: () => {
      disposed = true;
      loaded?.dispose();
    },
  };
}

export type SigningModel = ReturnType<typeof createSigningModel>;
