// A test stand-in for the user's device that holds the signing key ([T1]-[T7]): it registers the
// public key with the server and signs what is in the user's documents, as the app's Approve does.
import type * as Y from 'yjs';
import {
  bindingIntent,
  bumpGeneration,
  patchEnvironment,
  type EnvironmentPatch,
  cancelIntent,
  environmentSpecIntent,
  getBinding,
  getEnvironment,
  getTask,
  getViber,
  listMessages,
  messageIntent,
  requestSignedCancel,
  sealedCopyIntent,
  signBinding,
  signEnvironmentSpec,
  signMessage,
  signSealedCopy,
  taskDocName,
  workspaceDocName,
} from '@openviber/shared';
import {
  generateSigningKeyPair,
  signIntent,
  signingKeyFingerprint,
  type SigningKeyPair,
} from '@openviber/shared/crypto';
import { ok } from './server-api.ts';
import { waitFor } from './wait-for.ts';
import type { UserPeer } from './user-peer.ts';

export interface SigningDevice {
  keys: SigningKeyPair;
  fingerprint: string;
  /** Signs the environment's spec at `specVersion` (default: one above the stored one) and its ciphertexts. */
  signEnvironment(envId: string, specVersion?: number): Promise<number>;
  signBinding(bindingId: string): Promise<void>;
  /** Edits the environment as the app does (then signs it at the next version). */
  editEnvironment(envId: string, patch: EnvironmentPatch): Promise<number>;
  /** "Prepare" as the app does: bumps the generation and signs the binding at it. */
  prepare(bindingId: string): Promise<void>;
  signMessage(taskId: string, messageId: string): Promise<void>;
  cancel(taskId: string, messageId: string): Promise<void>;
}

export async function signingDevice(
  server: string,
  user: { token: string; userId: string },
  peer: UserPeer,
): Promise<SigningDevice> {
  const keys = await generateSigningKeyPair();
  await ok(server, 'PUT', '/api/account/signing-key', user.token, { publicKey: keys.publicKey });
  const workspace = () => peer.doc(workspaceDocName(user.userId));
  const taskDoc = (taskId: string) => peer.doc(taskDocName(user.userId, taskId));
  const sign = (intent: Parameters<typeof signIntent>[0]) => signIntent(intent, keys.privateKey);
  const device: SigningDevice = {
    keys,
    fingerprint: await signingKeyFingerprint(keys.publicKey),
    async signEnvironment(envId, specVersion) {
      const doc = await workspace();
      // What the API just wrote reaches this peer a moment later.
      const env = await waitFor(() => getEnvironment(doc, envId), {
        what: `environment ${envId} in the peer`,
      });
      const version = specVersion ?? env.specVersion + 1;
      const signature = await sign(environmentSpecIntent(env, version));
      const copies: [string, string, string][] = [];
      for (const [key, secret] of Object.entries(env.secrets))
        for (const viberId of Object.keys(secret.sealed))
          copies.push([key, viberId, await sign(sealedCopyIntent(env, key, viberId)!)]);
      doc.transact(() => {
        signEnvironmentSpec(doc, envId, version, signature);
        for (const [key, viberId, sig] of copies) signSealedCopy(doc, envId, key, viberId, sig);
      });
      return version;
    },
    async signBinding(bindingId) {
      const doc = await workspace();
      const binding = await waitFor(() => getBinding(doc, bindingId), {
        what: `binding ${bindingId} in the peer`,
      });
      const publicKey = getViber(doc, binding.viberId)!.publicKey;
      // As the app signs ([T5]): with the time, so values set until now may be re-sealed to it.
      const signedAt = Date.now();
      const intent = bindingIntent({ ...binding, signedAt }, publicKey);
      signBinding(doc, bindingId, binding.generation, await sign(intent), signedAt);
    },
    async editEnvironment(envId, patch) {
      const doc = await workspace();
      await waitFor(() => getEnvironment(doc, envId), { what: `environment ${envId} in the peer` });
      patchEnvironment(doc, envId, patch);
      return device.signEnvironment(envId);
    },
    async prepare(bindingId) {
      const doc = await workspace();
      await waitFor(() => getBinding(doc, bindingId), { what: `binding ${bindingId} in the peer` });
      bumpGeneration(doc, bindingId);
      await device.signBinding(bindingId);
    },
    async signMessage(taskId, messageId) {
      const ws = await workspace();
      const task = await waitFor(() => getTask(ws, taskId), { what: `task ${taskId} in the peer` });
      const doc: Y.Doc = await taskDoc(taskId);
      const message = await waitFor(() => listMessages(doc).find((m) => m.id === messageId), {
        what: `message ${messageId} in the peer`,
      });
      const intent = messageIntent({
        taskId,
        environmentId: task.environmentId,
        viberId: task.viberId,
        messageId,
        text: message.text,
      });
      signMessage(doc, messageId, await sign(intent));
    },
    async cancel(taskId, messageId) {
      requestSignedCancel(await taskDoc(taskId), messageId, await sign(cancelIntent({ taskId, messageId })));
    },
  };
  return device;
}
