// What this Viber does with documents written by a newer app ([S12]): it reads them, but does not
// prepare or run from a workspace or task document whose schema is newer than it understands — a
// field it cannot read might restrict what may run (a network or sandbox policy, say), and running
// without it could be unsafe. It says so in its health (`needsUpdate`) and its log, and acts again
// as soon as it is updated. Stopping work (cancel, shutdown) is always allowed.
import type * as Y from 'yjs';
import { SCHEMA_VERSION, documentCompatibility, writeNeedsUpdate } from '@openviber/shared';

export class SchemaGuard {
  readonly #viberDoc: Y.Doc;
  readonly #log: (line: string) => void;
  readonly #understood: number;
  #newest = 0;

  /** `understood` is this code's SCHEMA_VERSION; tests pass an older one to play an old Viber. */
  constructor(viberDoc: Y.Doc, log: (line: string) => void, understood = SCHEMA_VERSION) {
    this.#viberDoc = viberDoc;
    this.#log = log;
    this.#understood = understood;
  }

  /** Clears a needsUpdate an older daemon left in the health (call once the Viber document synced). */
  start(): void {
    writeNeedsUpdate(this.#viberDoc, 0);
  }

  /** True when this Viber may act on `doc`; a newer document is reported once per version. */
  mayAct(doc: Y.Doc, what: string): boolean {
    const compatibility = documentCompatibility(doc, this.#understood);
    if (compatibility.kind !== 'newer') return true;
    if (compatibility.version > this.#newest) {
      this.#newest = compatibility.version;
      writeNeedsUpdate(this.#viberDoc, compatibility.version);
      this.#log(
        `${what} uses document schema ${compatibility.version}${compatibility.writtenBy ? ` (written by ${compatibility.writtenBy})` : ''}; ` +
          `this Viber understands up to ${this.#understood}: it prepares and runs nothing from it until it is updated`,
      );
    }
    return false;
  }
}
