// What every unit of work on this Viber is given: who it is, its keys, where it keeps files, what it
// runs things with, and its own document for observations.
import type * as Y from 'yjs';
import type { NamedSecret, ViberId } from '@openviber/shared';
import type { KeyPair } from '@openviber/shared/crypto';
import type { IntentGuard } from './intent-guard.ts';
import type { Runner } from './runner.ts';
import type { SchemaGuard } from './schema-guard.ts';

export interface ViberContext {
  /** Branded: indexes `sealed` maps and bindings without casts, and cannot be mixed up with another id. */
  viberId: ViberId;
  keys: KeyPair;
  /** The Viber's own token and private key (viberRedactionValues): redacted from all it writes. */
  ownSecrets: readonly NamedSecret[];
  /** The workspace root: checkouts and worktrees live below it. */
  root: string;
  stateDir: string;
  /** The one runner everything executes through (it knows what this Viber can enforce). */
  runner: Runner;
  viberDoc: Y.Doc;
  /** Whether documents from a newer app may be acted on ([S12]); absent in unit tests: always. */
  schemaGuard?: SchemaGuard;
  /** On a pinned Viber, the signature checks ([T5]); absent when it trusts the server (as before). */
  intents?: IntentGuard;
}
