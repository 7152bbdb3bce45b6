// /api/account/signing-key ([T7], reset [T12]): the user's Ed25519 signing PUBLIC key, which a Viber onboarded
// with `--trust <fingerprint>` pins. The private key never reaches the server (design §5b).
import { z } from 'zod';
import { credentialsSchema, keyRotationIntent, publicKeySchema, signatureSchema } from '@openviber/shared';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { requirePrincipal, requireUser, type Services } from './api-context.ts';
import { parseBody } from './parse-body.ts';

const signingKeyPutSchema = z.strictObject({
  /** Ed25519 public key, base64 (32 bytes: the same shape as an X25519 one). */
  publicKey: publicKeySchema,
  /** Replacing a set key: the current key's signature over keyRotationIntent(current, publicKey). */
  rotation: z.strictObject({ signature: signatureSchema }).optional(),
});

const signingKeyResetSchema = z.strictObject({
  /** The account password again: the old key is lost, so the password is what authorizes the reset. */
  password: credentialsSchema.shape.password,
  publicKey: publicKeySchema,
});

/**
 * libsodium is loaded by the first request that needs it. Imported with the routes, it compiled its
 * WebAssembly and set off a major GC just after the server began listening, in the way of the first
 * peers after a restart (a cold large workspace, a reconnect storm: bench/ANALYSIS.md), and its heap
 * made every later GC longer, for two routes a user calls once.
 */
const crypto = () => import('@openviber/shared/crypto');
const signingKeyFingerprint = async (publicKey: string) => (await crypto()).signingKeyFingerprint(publicKey);

export function accountRoutes(router: Router, s: Services): void {
  // The user, or one of the user's Vibers (which onboards with only its token's owner known).
  router.on('GET', '/api/account/signing-key', async ({ req }) => {
    const principal = await requirePrincipal(s, req);
    const publicKey = await s.storage.getSigningKey(principal.userId);
    if (!publicKey)
      throw new HttpError('notFound', 'no signing key is set for this account yet; open the app once');
    return { publicKey, fingerprint: await signingKeyFingerprint(publicKey) };
  });

  router.on('PUT', '/api/account/signing-key', async ({ req }) => {
    const user = await requireUser(s, req);
    const input = await parseBody(signingKeyPutSchema, req);
    const current = await s.storage.getSigningKey(user.userId);
    if (current === input.publicKey)
      return { publicKey: current, fingerprint: await signingKeyFingerprint(current) };
    if (current) {
      // A set key is replaced only by a statement its own holder signed: a stolen session cannot.
      if (!input.rotation)
        throw new HttpError(
          'conflict',
          'a signing key is already set; replacing it needs rotation.signature by the current key',
          { field: 'rotation' },
        );
      const { verifyIntent } = await crypto();
      const valid = await verifyIntent(
        keyRotationIntent(current, input.publicKey),
        input.rotation.signature,
        current,
      );
      if (!valid)
        throw new HttpError(
          'forbidden',
          'rotation.signature is not the current key’s signature over this rotation',
          {
            field: 'rotation.signature',
          },
        );
    }
    if (!(await s.storage.setSigningKey(user.userId, input.publicKey, current)))
      throw new HttpError('conflict', 'the signing key changed meanwhile; read it again', {
        field: 'publicKey',
      });
    return { publicKey: input.publicKey, fingerprint: await signingKeyFingerprint(input.publicKey) };
  });

  // Every device and the recovery code lost ([T12]): the password replaces the key without the old
  // key's signature. Vibers pinned to the old key keep refusing what the new one signs (they pinned
  // a key, not the server's word): each is onboarded again with --trust, and the app says so.
  router.on('POST', '/api/account/signing-key/reset', async ({ req }) => {
    const user = await requireUser(s, req);
    const input = await parseBody(signingKeyResetSchema, req);
    await s.auth.checkPassword(user.userId, input.password, s.clientAddress(req));
    const current = await s.storage.getSigningKey(user.userId);
    if (
      current !== input.publicKey &&
      !(await s.storage.setSigningKey(user.userId, input.publicKey, current))
    )
      throw new HttpError('conflict', 'the signing key changed meanwhile; read it again', {
        field: 'publicKey',
      });
    return { publicKey: input.publicKey, fingerprint: await signingKeyFingerprint(input.publicKey) };
  });
}
