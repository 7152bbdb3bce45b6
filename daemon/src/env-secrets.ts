// Opens an environment's secrets sealed to this Viber and builds what prepare and tasks need from them.
import { Redactor, SecretScope, type Environment } from '@openviber/shared';
import { openSealed, type KeyPair } from '@openviber/shared/crypto';

export interface OpenedSecret {
  name: string;
  value: string;
  scope: SecretScope;
}

export interface EnvironmentSecrets {
  opened: OpenedSecret[];
  /** Keys with no ciphertext for this Viber, or one it cannot open. */
  missing: string[];
  /** Redacts every opened secret, whatever its scope. */
  redactor: () => Redactor;
}

export async function openEnvironmentSecrets(
  env: Environment,
  viberId: string,
  keys: KeyPair,
): Promise<EnvironmentSecrets> {
  const opened: OpenedSecret[] = [];
  const missing: string[] = [];
  for (const [name, secret] of Object.entries(env.secrets)) {
    const box = (secret.sealed as Record<string, string>)[viberId];
    const result = box ? await openSealed(box, keys) : null;
    if (result?.ok) opened.push({ name, value: result.value, scope: secret.scope });
    else missing.push(name);
  }
  return { opened, missing, redactor: () => new Redactor(opened) };
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
