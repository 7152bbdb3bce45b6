// Another device gets the user's signing key by approval (design §5b): the new device writes a
// request with a one-time X25519 public key into the workspace document and shows a short code
// derived from that key; a device holding the key checks the code the user reads out and seals the
// key to it (crypto_box_seal). The server relays only the one-time public key and a sealed box; if
// it swapped the public key, the code derived from it would not match the one the user compares.
import { computed, effect, signal } from '@preact/signals';
import { newId } from '@openviber/shared';
import type { KeyPair } from '@openviber/shared/crypto';
import * as Y from 'yjs';
import type { SigningModel } from './signing-model.ts';

const crypto = () => import('@openviber/shared/crypto');
/** A request older than this is not offered for approval (the new device's one-time key lives in memory only). */
export const DEVICE_REQUEST_TTL_MS = 15 * 60_000;
/** At most this many requests are kept; the oldest go first. */
export const MAX_DEVICE_REQUESTS = 10;

export const deviceRequestsMap = (doc: Y.Doc) => doc.getMap<unknown>('deviceRequests');

export interface DeviceRequest {
  id: string;
  publicKey: string;
  createdAt: number;
  sealed: string;
  label: string;
}

/** The short code of a one-time key: the first 48 bits of its fingerprint (too many to forge a match for). */
export async function deviceCode(publicKey: string): Promise<string> {
  const { keyFingerprint } = await crypto();
  return (await keyFingerprint(publicKey)).split(':').slice(0, 3).join('-').toUpperCase();
}

const normalize = (code: string) => code.toUpperCase().replace(/[^0-9A-F]/g, '');

export function listDeviceRequests(doc: Y.Doc): DeviceRequest[] {
  const out: DeviceRequest[] = [];
  deviceRequestsMap(doc).forEach((value, id) => {
    if (!(value instanceof Y.Map)) return;
    const publicKey = value.get('publicKey');
    const createdAt = value.get('createdAt');
    if (typeof publicKey !== 'string' || typeof createdAt !== 'number') return;
    const sealed = value.get('sealed');
    const label = value.get('label');
    out.push({
      id,
      publicKey,
      createdAt,
      sealed: typeof sealed === 'string' ? sealed : '',
      label: typeof label === 'string' ? label.slice(0, 80) : '',
    });
  });
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

export function createDeviceApproval(workspace: Y.Doc, signing: SigningModel, version: { value: number }) {
  const requests = computed(() => (version.value, listDeviceRequests(workspace)));
  const pending = computed(() =>
    requests.value.filter((r) => !r.sealed && Date.now() - r.createdAt < DEVICE_REQUEST_TTL_MS),
  );

  // ---- the new device
  const myCode = signal('');
  const myError = signal('');
  let mine: { id: string; keys: KeyPair } | null = null;

  async function requestApproval() {
    const { generateKeyPair } = await crypto();
    const keys = await generateKeyPair();
    const id = newId<string>('dev');
    const all = listDeviceRequests(workspace);
    workspace.transact(() => {
      for (const old of all.slice(MAX_DEVICE_REQUESTS - 1)) deviceRequestsMap(workspace).delete(old.id);
      const map = new Y.Map<unknown>();
      deviceRequestsMap(workspace).set(id, map);
      map.set('publicKey', keys.publicKey);
      map.set('createdAt', Date.now());
      map.set('label', navigator.userAgent.replace(/.*\)\s*/, '').slice(0, 80));
    });
    mine = { id, keys };
    myCode.value = await deviceCode(keys.publicKey);
    myError.value = '';
  }

  /** On the new device: opens the sealed key once it arrives. */
  async function receive(request: DeviceRequest) {
    if (!mine || request.id !== mine.id || !request.sealed) return;
    const { openSealed } = await crypto();
    const opened = await openSealed(request.sealed, mine.keys);
    deviceRequestsMap(workspace).delete(request.id);
    mine = null;
    myCode.value = '';
    if (!opened.ok)
      return void (myError.value = 'The key sent to this device could not be opened. Ask again.');
    try {
      const pair = JSON.parse(opened.value) as { publicKey: string; privateKey: string };
      const problem = await signing.adopt({
        publicKey: String(pair.publicKey),
        privateKey: String(pair.privateKey),
      });
      if (problem) myError.value = problem;
    } catch {
      myError.value = 'The key sent to this device was not readable. Ask again.';
    }
  }

  // ---- a device holding the key

  /** Seals the key to the request's one-time key if `typedCode` is the code that key shows; an error otherwise. */
  async function approve(requestId: string, typedCode: string): Promise<string | null> {
    const request = listDeviceRequests(workspace).find((r) => r.id === requestId);
    if (!request) return 'That request is gone.';
    const privateKey = await signing.privateKeyForSealing();
    if (!privateKey) return 'This device does not hold the signing key.';
    if (normalize(typedCode) !== normalize(await deviceCode(request.publicKey)))
      return 'The code does not match. Deny this request unless it is the code your other device shows.';
    const { sealSecret } = await crypto();
    const sealed = await sealSecret(
      JSON.stringify({ publicKey: signing.publicKey.value, privateKey }),
      request.publicKey,
    );
    const map = deviceRequestsMap(workspace).get(requestId);
    if (map instanceof Y.Map) map.set('sealed', sealed);
    return null;
  }

  const deny = (requestId: string) => deviceRequestsMap(workspace).delete(requestId);

  const stop = effect(() => {
    for (const r of requests.value) if (mine && r.id === mine.id && r.sealed) void receive(r);
  });

  return { requests, pending, myCode, myError, requestApproval, approve, deny, dispose: stop };
}

export type DeviceApproval = ReturnType<typeof createDeviceApproval>;
