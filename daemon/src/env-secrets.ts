// Opens an environment's secrets sealed to this Viber and builds what prepare and tasks need from them.
import {
  Redactor,
  SecretScope,
  type Environment,
  type NamedSecret,
  type Result,
  type ViberId,
} from '@openviber/shared';
import { isResealCopy, openResealCopy, openSealed, type KeyPair } from '@openviber/shared/crypto';
import type { ViberConfig } from './config.ts';

export interface OpenedSecret {
  name: string;
  value: string;
  scope: SecretScope;
}

export interface EnvironmentSecrets {
  opened: OpenedSecret[];
  /** Keys with no ciphertext for this Viber, or one it cannot open. */
  missing: string[];
  /** Redacts every opened secret, whatever its scope, and the Viber's own (viberRedactionValues). */
  redactor: () => Redactor;
}

/**
 * The Viber's own credentials, redacted from everything it writes whatever the environment ([X7]):
 * a task can read $VIBER_HOME/config.json where the sandbox cannot hide it. The private key also as
 * the same bytes in base64url and hex, which a tool decoding the file might print.
 */
export function viberRedactionValues(config: Pick<ViberConfig, 'authToken' | 'privateKey'>): NamedSecret[] {
  const key = Buffer.from(config.privateKey, 'base64');
  return [
    { name: 'VIBER_TOKEN', value: config.authToken },
    { name: 'VIBER_PRIVATE_KEY', value: config.privateKey },
    { name: 'VIBER_PRIVATE_KEY', value: key.toString('base64url') },
    { name: 'VIBER_PRIVATE_KEY', value: key.toString('hex') },
  ];
}

export async function openEnvironmentSecrets(
  env: Environment,
  viberId: ViberId,
  keys: KeyPair,
  ownSecrets: readonly NamedSecret[],
): Promise<EnvironmentSecrets> {
  const opened: OpenedSecret[] = [];
  const missing: string[] = [];
  for (const [name, secret] of Object.entries(env.secrets)) {
    const result = await openSecretCopy(env, name, viberId, keys);
    if (result?.ok) opened.push({ name, value: result.value, scope: secret.scope });
    else missing.push(name);
  }
  return { opened, missing, redactor: () => new Redactor([...ownSecrets, ...opened]) };
}

/**
 * Opens the ciphertext of `env`'s secret `name` sealed for `viberId` (null when there is none): a
 * device's sealed box, or a re-seal copy another Viber sent ([X5]), which opens only with its
 * sender's key and only for this secret's current value. Whether a pinned Viber may use it at all
 * is the IntentGuard's to say ([T6]).
 */
export async function openSecretCopy(
  env: Environment,
  name: string,
  viberId: ViberId,
  keys: KeyPair,
): Promise<Result<string> | null> {
  const secret = env.secrets[name];
  const box = secret?.sealed[viberId];
  if (!secret || !box) return null;
  if (!isResealCopy(box)) return openSealed(box, keys);
  return openResealCopy(box, keys, {
    environmentId: env.id,
    key: name,
    viberId,
    updatedAt: secret.updatedAt,
  });
}

/** The process environment for a phase: variables, then the secrets whose scope reaches it ([X6]). */
export function phaseEnv(
  env: Environment,
  secrets: OpenedSecret[],
  phase: 'setup' | 'task',
): Record<string, string> {
  const out: Record<string, string> = { ...env.vars };
  for (const s of secrets) if (phase === 'setup' || s.scope === SecretScope.runtime) out[s.name] = s.value;
  return out;
}
