// What every unit of work on this Viber is given: who it is, its keys, where it keeps files, what it
// can enforce, and its own document for observations.
import type * as Y from 'yjs';
import type { KeyPair } from '@openviber/shared/crypto';
import type { Capabilities } from './capabilities.ts';

export interface ViberContext {
  viberId: string;
  keys: KeyPair;
  /** The workspace root: checkouts and worktrees live below it. */
  root: string;
  stateDir: string;
  capabilities: Capabilities;
  viberDoc: Y.Doc;
}
