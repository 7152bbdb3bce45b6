// What the app does with the user's signing key (design §5b, [T1]-[T7]), loaded after first paint
// by signing-model.ts (which holds the signals the views read).
// Every intent is built with the shared builders and encoded by shared `intentBytes` (inside
// signIntent): the app never has an encoding of its own. libsodium is loaded on first use, after
// first paint, through the lazily loaded `@openviber/shared/crypto` entry.
import {
  appendMessage,
  cancelIntent,
  canonicalJson,
  environmentSpecIntent,
  listBindings,
  findPushRequest,
  listEnvironments,
  listMessages,
  messageIntent,
  newId,
  pushIntent,
  requestPush as writePushRequest,
  requestSignedCancel,
  sealedCopyIntent,
  signMessage,
  signPushRequest,
  signSealedCopy,
  storedSealedCopy,
  type Binding,
  type Environment,
  type SignedIntent,
  type ViberRecord,
} from '@openviber/shared';
import type { SigningKeyPair } from '@openviber/shared/crypto';
import type * as Y from 'yjs';
import type { OutboxEntry } from './message-outbox.ts';
import type { SigningOptions, SigningSignals } from './signing-model.ts';
import { api, ApiRequestError } from '../api/http.ts';
import { encodeRecoveryCode, decodeRecoveryCode } from '../lib/recovery-code.ts';
import { deleteSigningKey, loadSigningKey, saveSigningKey } from '../lib/signing-key-store.ts';
import { indexedDbTrustStore, type TrustStore } from '../lib/trust-store.ts';
import {
  createIntentTrust,
  type BindingSignResult,
  type IntentTrust,
  type SpecChange,
} from './intent-trust.ts';

const crypto = () => import('@openviber/shared/crypto');

interface ServerKey {
  publicKey: string;
  fingerprint: string;
}

export function createSigningActions(
  opts: SigningOptions,
  signals: SigningSignals,
  store: TrustStore = indexedDbTrustStore(opts.userId),
) {
  const { userId, token, workspace } = opts;
  const { state, publicKey, fingerprint, recoveryCode, error, review } = signals;
  let key: SigningKeyPair | null = null;
  /** What this device may sign, checked against what it trusted ([T10], [T11]); set once the key is ready. */
  let trust: IntentTrust | null = null;
  let trustFor = '';
  /** The running (or last) start: signing waits for it, so a message sent right after a reload is signed. */
  let starting: Promise<void> = Promise.resolve();
  let readyWaiters: (() => void)[] = [];

  async function becomeReady(pair: SigningKeyPair) {
    const { signingKeyFingerprint, intentVerifier } = await crypto();
    if (trustFor !== pair.publicKey) {
      const verify = await intentVerifier(pair.publicKey);
      trust = createIntentTrust({ workspace, verify, sign, store, records: await store.load() });
      trustFor = pair.publicKey;
    }
    key = pair;
    publicKey.value = pair.publicKey;
    fingerprint.value = await signingKeyFingerprint(pair.publicKey);
    state.value = 'ready';
    scheduleReview();
    for (const w of readyWaiters) w();
    readyWaiters = [];
  }

  /** The recovery code of a key this device just made: shown once, until the user says it is saved. */
  async function showRecoveryCode(pair: SigningKeyPair) {
    const sodium = await (await crypto()).sodiumReady();
    const seed = sodium.from_base64(pair.privateKey, sodium.base64_variants.ORIGINAL).slice(0, 32);
    recoveryCode.value = encodeRecoveryCode(seed);
  }

  /** Learns the user's key from the server; creates it on the first device; publishes a local one the server lacks. */
  async function start() {
    state.value = 'loading';
    error.value = '';
    try {
      const local = await loadSigningKey(userId);
      let server: ServerKey | null = null;
      try {
        server = await api<ServerKey>('/account/signing-key', { token });
      } catch (e) {
        // Offline with the key on this device: sign with it (the server is asked again at the next start).
        if (local && e instanceof ApiRequestError && e.status !== 404 && e.status !== 401)
          return await becomeReady(local);
        if (!(e instanceof ApiRequestError) || e.status !== 404) throw e;
      }
      if (server && local?.publicKey === server.publicKey) return await becomeReady(local);
      if (server) {
        publicKey.value = server.publicKey;
        fingerprint.value = server.fingerprint;
        state.value = 'needs-device';
        return;
      }
      // No key on the server: this is the first device (or it made the key while offline).
      const { generateSigningKeyPair } = await crypto();
      const pair = local ?? (await generateSigningKeyPair());
      if (!local) await saveSigningKey(userId, pair);
      try {
        await api('/account/signing-key', { method: 'PUT', token, body: { publicKey: pair.publicKey } });
      } catch (e) {
        // Another device made the user's key first: this one's is dropped, and it asks for that one.
        if (e instanceof ApiRequestError && e.status === 409) {
          await deleteSigningKey(userId);
          return await start();
        }
        throw e;
      }
      if (!local) await showRecoveryCode(pair);
      await becomeReady(pair);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      state.value = 'error';
    }
  }

  /** Stores a key another device sealed for this one, or one re-derived from a recovery code, if it is the user's. */
  async function adopt(pair: SigningKeyPair): Promise<string | null> {
    if (!publicKey.value || pair.publicKey !== publicKey.value)
      return 'This key is not your account’s signing key.';
    await saveSigningKey(userId, pair);
    await becomeReady(pair);
    return null;
  }

  async function recover(code: string): Promise<string | null> {
    const decoded = decodeRecoveryCode(code);
    if (!decoded.ok) return decoded.error;
    const { sodiumReady } = await crypto();
    const sodium = await sodiumReady();
    const kp = sodium.crypto_sign_seed_keypair(decoded.seed);
    const b64 = sodium.base64_variants.ORIGINAL;
    const pair = {
      publicKey: sodium.to_base64(kp.publicKey, b64),
      privateKey: sodium.to_base64(kp.privateKey, b64),
    };
    return (await adopt(pair)) && 'This recovery code is not for your account’s signing key.';
  }

  /**
   * [T12] Every device that held the key and the recovery code are lost: a new key, authorized by
   * the account password (the old key cannot sign its rotation). Returns the server's reason when
   * refused (a wrong password, too many attempts), else null; the new recovery code is then shown.
   */
  async function resetKey(password: string): Promise<string | null> {
    try {
      const { generateSigningKeyPair } = await crypto();
      const pair = await generateSigningKeyPair();
      // Kept here before the server takes it: the account's key must never be one no device holds.
      // (This device's copy was not the account's key, or it would not be offered the reset.)
      await saveSigningKey(userId, pair);
      await api('/account/signing-key/reset', {
        method: 'POST',
        token,
        body: { password, publicKey: pair.publicKey },
      });
      await showRecoveryCode(pair);
      await becomeReady(pair);
      return null;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return message.charAt(0).toUpperCase() + message.slice(1);
    }
  }

  /** A signature by this device, or null when it holds no key (the content then waits for approval). */
  async function sign(intent: SignedIntent): Promise<string | null> {
    await starting;
    if (!key) return null;
    const { signIntent } = await crypto();
    return signIntent(intent, key.privateKey);
  }

  async function verifier() {
    const { intentVerifier } = await crypto();
    return intentVerifier(publicKey.value);
  }

  // ---- what needs review: kept in a signal the views read, refreshed as the workspace changes

  let reviewTimer: ReturnType<typeof setTimeout> | undefined;
  /** Coalesced: a burst of workspace updates (a task touched, a sync) costs one pass of checks. */
  function scheduleReview() {
    if (reviewTimer !== undefined || !trust) return;
    reviewTimer = setTimeout(() => {
      reviewTimer = undefined;
      void refreshReview();
    }, 50);
  }

  async function refreshReview() {
    const t = trust;
    if (!t) return;
    await t.learn().catch(() => undefined);
    const { specs, bindings } = t.standings();
    const changes = new Map<string, { knownVersion: number; changes: SpecChange[] }>();
    for (const env of listEnvironments(workspace))
      if (specs.has(env.id)) {
        const known = t.knownSpec(env.id);
        if (known) changes.set(env.id, { knownVersion: known.version, changes: t.specChanges(env) });
      }
    // The key this device confirmed for each Viber whose mapping needs review (to show beside the registry's).
    const viberKeys: Record<string, string> = {};
    for (const b of listBindings(workspace)) {
      const confirmed = bindings.has(b.id) && t.confirmedKey(b.viberId);
      if (confirmed) viberKeys[b.viberId] = confirmed;
    }
    review.value = { specs, bindings, changes, viberKeys, keyChanged: t.changedViberKeys() };
  }

  workspace.on('update', scheduleReview);

  // ---- what the app signs

  /** Waits for the key (a save right after a reload is still signed); null on a device without it. */
  async function trusted(): Promise<IntentTrust | null> {
    await starting;
    return key ? trust : null;
  }

  /**
   * Save of the environment editor: `before` and `after` are the stored environment just before and
   * after the user's edit was written. The spec is signed only as that edit over a spec that stood
   * signed ([T10]); else it waits for review. `ownCopies` are the ciphertexts this save sealed: only
   * those sealed copies are signed here (a ciphertext the app did not make is signed only through Approve).
   */
  async function signEdit(
    before: Environment | undefined,
    after: Environment,
    ownCopies: Record<string, Record<string, string>> = {},
  ): Promise<'signed' | 'review' | 'no key'> {
    const t = await trusted();
    if (!t) return 'no key';
    const result = await t.signEdit(before, after);
    for (const [secretKey, boxes] of Object.entries(ownCopies))
      for (const [viberId, box] of Object.entries(boxes)) await signCopy(after.id, secretKey, viberId, box);
    scheduleReview();
    return result;
  }

  /** Signs the sealed copy of `secretKey` for `viberId` if it is still exactly `box`. */
  async function signCopy(envId: string, secretKey: string, viberId: string, box: string) {
    const env = listEnvironments(workspace).find((e) => e.id === envId);
    const intent = env && sealedCopyIntent(env, secretKey, viberId);
    if (!intent || intent.sealed !== box) return;
    const signature = await sign(intent);
    if (signature) signSealedCopy(workspace, envId, secretKey, viberId, signature);
  }

  /** Prepare / Sync: signs the new generation only over a binding that stood signed ([T11]). */
  async function signPrepared(before: Binding, after: Binding): Promise<BindingSignResult> {
    const t = await trusted();
    const result = t ? await t.signPrepared(before, after) : 'no key';
    scheduleReview();
    return result;
  }

  /** A mapping the user just made (`created`, read right after it was written): signed for the Viber's confirmed key. */
  async function signMapped(created: Binding): Promise<BindingSignResult> {
    const t = await trusted();
    const result = t ? await t.signBindingAs(created) : 'no key';
    scheduleReview();
    return result;
  }

  /** Approve of a mapping: signs the binding the user was shown, for the confirmed key only. */
  const approveBinding = signMapped;

  /** Onboarding: the key of the Viber that just joined is the one this device trusts from now on (first use only). */
  async function confirmViberKey(viberId: string, viberPublicKey: string) {
    await (await trusted())?.confirmViberKey(viberId, viberPublicKey);
    scheduleReview();
  }

  /** After the user compared the fingerprint on the machine and confirmed: the new key replaces the old one. */
  async function trustNewViberKey(viberId: string, viberPublicKey: string) {
    await (await trusted())?.trustNewViberKey(viberId, viberPublicKey);
    scheduleReview();
  }

  /**
   * Save of the editor: the Vibers a new secret value may be sealed to — only keys this device
   * confirmed ([T11]), recorded on first use — and those whose registry key changed. A device without
   * the signing key checks against the same records (a secret is confidential whether or not it is signed).
   */
  async function sealTargets(vibers: ViberRecord[]) {
    await starting;
    const t =
      trust ??
      createIntentTrust({
        workspace,
        verify: () => false,
        sign: () => Promise.resolve(null),
        store,
        records: await store.load(),
      });
    const result = await t.sealTargets(vibers);
    scheduleReview();
    return result;
  }

  /**
   * Appends a message signed before it is written (so it never reads as unsigned); unsigned without
   * a key. Its id and time are the ones the outbox gave it when the user sent it.
   */
  async function sendMessage(doc: Y.Doc, entry: OutboxEntry) {
    const { taskId, environmentId, viberId, text, messageId, at } = entry;
    // A message is never lost to a signing failure: it is written unsigned and waits for approval.
    const signature = await sign(messageIntent({ taskId, environmentId, viberId, text, messageId })).catch(
      () => null,
    );
    return appendMessage(doc, text, userId, at, { messageId, signature: signature ?? undefined });
  }

  /**
   * "Run on <Viber>" for a task that had none (or another): the messages the user signed for the
   * task as it was are signed again for `viberId`, before the task names it, so that Viber runs them
   * instead of refusing them as changed and waiting behind them for ever. A message no device signed
   * for the task as it was stays unsigned (awaiting approval).
   */
  async function signForViber(
    doc: Y.Doc,
    task: { taskId: string; environmentId: string; viberId: string },
    viberId: string,
  ) {
    await starting;
    if (!key) return;
    const verify = await verifier();
    for (const m of listMessages(doc)) {
      const was = messageIntent({ ...task, messageId: m.id, text: m.text });
      if (!m.signature || !verify(was, m.signature)) continue;
      const signature = await sign({ ...was, viberId });
      if (signature) signMessage(doc, m.id, signature);
    }
  }

  /** Approve: signs an existing message (e.g. one written through the REST API). */
  async function approveMessage(
    doc: Y.Doc,
    input: { taskId: string; environmentId: string; viberId: string; messageId: string },
  ) {
    const message = listMessages(doc).find((m) => m.id === input.messageId);
    if (!message) return;
    const signature = await sign(messageIntent({ ...input, text: message.text }));
    if (signature) signMessage(doc, input.messageId, signature);
  }

  /** Writes a push request signed before it is written ([A3], [T4]); unsigned (awaiting approval) without a key. */
  async function requestPush(
    doc: Y.Doc,
    input: { taskId: string; environmentId: string; viberId: string; branch: string; commitMessage?: string },
  ) {
    const requestId = newId<string>('push');
    const commitMessage = input.commitMessage ?? '';
    // A push is never lost to a signing failure: it is written unsigned and waits for approval.
    const signature = await sign(pushIntent({ ...input, commitMessage, requestId })).catch(() => null);
    return writePushRequest(
      doc,
      { branch: input.branch, commitMessage },
      Date.now(),
      signature ? { requestId, signature } : undefined,
    );
  }

  /** Approve: signs an existing push request (e.g. one written through the REST API) as it is stored. */
  async function approvePush(
    doc: Y.Doc,
    input: { taskId: string; environmentId: string; viberId: string; requestId: string },
  ) {
    const request = findPushRequest(doc, input.requestId);
    if (!request) return;
    const signature = await sign(
      pushIntent({ ...input, branch: request.branch, commitMessage: request.commitMessage }),
    );
    if (signature) signPushRequest(doc, input.requestId, signature);
  }

  async function cancel(doc: Y.Doc, taskId: string, messageIds: string[], fallback: (ids: string[]) => void) {
    // The key may still be loading (a reload, a slow phone): an unsigned cancel written now would be
    // ignored by a pinned Viber, and the command it meant to stop would run to its end.
    await starting;
    if (!key) return fallback(messageIds);
    for (const messageId of messageIds) {
      const signature = await sign(cancelIntent({ taskId, messageId }));
      if (signature) requestSignedCancel(doc, messageId, signature);
    }
  }

  /** Approve for a sealed copy: the app cannot read it, so this trusts that it is the user's value. */
  async function approveSealedCopy(envId: string, secretKey: string, viberId: string) {
    const env = listEnvironments(workspace).find((e) => e.id === envId);
    const intent = env && sealedCopyIntent(env, secretKey, viberId);
    if (intent) await signCopy(envId, secretKey, viberId, intent.sealed);
  }

  /**
   * Approve for an environment: signs the execution spec the user was shown in full (`shown`) only if
   * the stored spec is still exactly that one, at a version above the stored one, the newest this
   * device knows and `floor` — the highest version a Viber said it accepted in its refusal ([T10]).
   */
  async function approveEnvironment(shown: Environment, floor = 0): Promise<boolean> {
    const t = await trusted();
    const env = listEnvironments(workspace).find((e) => e.id === shown.id);
    const same = (e: Environment) => canonicalJson(environmentSpecIntent(e, 0));
    if (!t || !env || same(env) !== same(shown)) return false;
    if (!(await t.signSpecAs(env, floor))) return false;
    // The ciphertexts it holds (e.g. sealed by a script through the API): the user was told the app
    // cannot read them and that approving accepts the stored values.
    const verify = await verifier();
    for (const [secretKey, secret] of Object.entries(env.secrets))
      for (const viberId of Object.keys(secret.sealed)) {
        const intent = sealedCopyIntent(env, secretKey, viberId);
        const { signature } = storedSealedCopy(env, secretKey, viberId);
        if (intent && !verify(intent, signature)) await signCopy(env.id, secretKey, viberId, intent.sealed);
      }
    scheduleReview();
    return true;
  }

  const ready = () => (key ? Promise.resolve() : new Promise<void>((resolve) => readyWaiters.push(resolve)));

  return {
    start: () => (starting = start()),
    ready,
    recover,
    adopt,
    resetKey,
    privateKeyForSealing: () => key?.privateKey ?? '',
    signEdit,
    signCopy,
    signPrepared,
    signMapped,
    approveBinding,
    confirmViberKey,
    trustNewViberKey,
    sealTargets,
    sendMessage,
    approveMessage,
    signForViber,
    requestPush,
    approvePush,
    approveSealedCopy,
    approveEnvironment,
    cancel,
    dispose() {
      workspace.off('update', scheduleReview);
      clearTimeout(reviewTimer);
    },
  };
}

export type SigningActions = ReturnType<typeof createSigningActions>;
