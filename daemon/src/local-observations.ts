// What this Viber observed of its bindings — state, generation, the working directory it resolved —
// as it recorded it, in $VIBER_HOME/state/observed.json. The Viber document carries the same for the
// app to show, but the server can write that document: an observation read back from it would let a
// server mark a binding ready at any generation with any working directory, and a signed message
// would then run there (another checkout, a mounted socket, $VIBER_HOME/state) with this
// environment's secrets ([T5]). So the document is output only; every decision reads this file.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Y from 'yjs';
import {
  ObservedState,
  observationOf,
  removeObservations,
  writeObservation,
  type Observation,
} from '@openviber/shared';
import { replaceFile } from './durable-file.ts';

const FILE = 'observed.json';
const instances = new Map<string, LocalObservations>();

/** The one record of `stateDir` (a daemon has one state directory; tests make several). */
export function localObservations(stateDir: string): LocalObservations {
  let found = instances.get(stateDir);
  if (!found) instances.set(stateDir, (found = new LocalObservations(stateDir)));
  return found;
}

export class LocalObservations {
  readonly #file: string;
  readonly #records = new Map<string, Record<string, unknown>>();

  constructor(stateDir: string) {
    this.#file = join(stateDir, FILE);
    if (!existsSync(this.#file)) return;
    try {
      const stored = JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, Record<string, unknown>>;
      for (const [id, record] of Object.entries(stored))
        if (record && typeof record === 'object') this.#records.set(id, record);
    } catch {
      // unreadable (a hand edit): every binding is prepared again, which rewrites it
    }
  }

  read(bindingId: string): Observation | undefined {
    return observationOf(this.#records.get(bindingId));
  }

  /** Records `fields` of the binding's observation here, then in the Viber document for the app. */
  observe(viberDoc: Y.Doc, bindingId: string, fields: Partial<Observation>): void {
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    this.#records.set(bindingId, { ...this.#records.get(bindingId), ...defined });
    // A final state is durable (work is decided on it); progress need not be.
    const final = fields.state === ObservedState.ready || fields.state === ObservedState.error;
    this.#persist(final);
    writeObservation(viberDoc, bindingId, fields);
  }

  /** Forgets bindings this Viber no longer holds ([V5]), here and in the Viber document. */
  remove(viberDoc: Y.Doc, bindingIds: string[]): void {
    for (const id of bindingIds) this.#records.delete(id);
    if (bindingIds.length) this.#persist(true);
    removeObservations(viberDoc, bindingIds);
  }

  #persist(durable: boolean): void {
    mkdirSync(join(this.#file, '..'), { recursive: true, mode: 0o700 });
    replaceFile(this.#file, JSON.stringify(Object.fromEntries(this.#records)) + '\n', { durable });
  }
}
