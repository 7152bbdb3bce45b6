// Giving the signing key to another device through documents the server relays: the server may swap
// the one-time key in a request, and then the code the user reads out must not match.
import { signal } from '@preact/signals';
import { generateKeyPair, generateSigningKeyPair, openSealed } from '@openviber/shared/crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  createDeviceApproval,
  deviceCode,
  deviceRequestsMap,
  listDeviceRequests,
} from './device-approval.ts';
import type { SigningModel } from './signing-model.ts';

async function holder(doc: Y.Doc) {
  const key = await generateSigningKeyPair();
  const adopted: unknown[] = [];
  const signing = {
    publicKey: signal(key.publicKey),
    privateKeyForSealing: async () => key.privateKey,
    adopt: async (pair: unknown) => (adopted.push(pair), null),
  } as unknown as SigningModel;
  const version = signal(0);
  doc.on('update', () => version.value++);
  return { key, adopted, approval: createDeviceApproval(doc, signing, version) };
}

describe('device approval', () => {
  it('seals the key to the requesting device only when the typed code is that device key’s code', async () => {
    const doc = new Y.Doc();
    const old = await holder(doc);
    const fresh = await holder(doc); // the new device (its own key is ignored; it adopts the sealed one)
    await fresh.approval.requestApproval();
    const code = fresh.approval.myCode.value;
    expect(code).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    const [request] = listDeviceRequests(doc);
    expect(await old.approval.approve(request.id, 'abcd-0000-1111')).toMatch(/does not match/);
    expect(listDeviceRequests(doc)[0].sealed).toBe('');
    expect(await old.approval.approve(request.id, code.toLowerCase().replace(/-/g, ' '))).toBeNull();
    // The new device opens it and adopts exactly the holder's key; the request is removed.
    await expect.poll(() => fresh.adopted.length).toBe(1);
    expect(fresh.adopted[0]).toEqual({ publicKey: old.key.publicKey, privateKey: old.key.privateKey });
    expect(listDeviceRequests(doc)).toEqual([]);
  });

  it('a server that swaps the one-time key gets nothing: the code shown on the device no longer matches', async () => {
    const doc = new Y.Doc();
    const old = await holder(doc);
    const fresh = await holder(doc);
    await fresh.approval.requestApproval();
    const code = fresh.approval.myCode.value;
    const [request] = listDeviceRequests(doc);
    const attacker = await generateKeyPair();
    (deviceRequestsMap(doc).get(request.id) as Y.Map<unknown>).set('publicKey', attacker.publicKey);
    expect(await deviceCode(attacker.publicKey)).not.toBe(code);
    expect(await old.approval.approve(request.id, code)).toMatch(/does not match/);
    const sealed = listDeviceRequests(doc)[0].sealed;
    expect(sealed).toBe('');
    expect((await openSealed(sealed || 'AAAA', attacker)).ok).toBe(false);
    expect(fresh.adopted).toEqual([]);
  });

  it('keeps at most 10 requests, dropping the oldest', async () => {
    const doc = new Y.Doc();
    const fresh = await holder(doc);
    for (let i = 0; i < 14; i++) await fresh.approval.requestApproval();
    expect(listDeviceRequests(doc).length).toBe(10);
  });
});
