// Child process: times one Y.applyUpdate of the file named in argv[2] in a fresh Node process (cold
// JIT, as a restarted server loads a document) and prints the milliseconds.
import { readFileSync } from 'node:fs';
import * as Y from 'yjs';

const state = new Uint8Array(readFileSync(process.argv[2]));
const t0 = performance.now();
Y.applyUpdate(new Y.Doc(), state);
console.log((performance.now() - t0).toFixed(3));
