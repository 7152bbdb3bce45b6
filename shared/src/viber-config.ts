// The Viber's config file ($VIBER_HOME/config.json, design §5, §8): validated whenever the daemon reads it.
import { z } from 'zod';
import { idSchema, publicKeySchema } from './schemas.ts';

export const viberConfigSchema = z.strictObject({
  server: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  userId: idSchema,
  viberId: idSchema,
  name: z.string().min(1).max(64),
  authToken: z.string().min(1, 'is required'),
  publicKey: publicKeySchema,
  /** X25519 private key, base64 (same shape as a public key); never leaves this file ([X1]). */
  privateKey: publicKeySchema,
  createdAt: z.number(),
  /**
   * The user's Ed25519 signing public key, pinned by `viber onboard --trust <fingerprint>` ([T3]):
   * when set, the Viber acts only on content signed with it. Absent: the Viber trusts the server.
   */
  trustedSigningKey: publicKeySchema.optional(),
});
export type ViberConfig = z.infer<typeof viberConfigSchema>;
