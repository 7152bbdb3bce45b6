// [R3b] A stand-in for the Viber in a real out-of-memory test (run-oom.integration.test.ts): started
// inside the test's memory cgroup, it runs `process.argv[2]` through the real runner (bubblewrap, a
// setup's policy) and prints the result as one JSON line. Everything it starts is in the same cgroup.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { probedRunner } from './probed-runner.ts';

const [script, home] = process.argv.slice(2);
if (!script || !home) throw new Error('usage: oom-scene.ts <bash script> <home>');
const root = join(home, 'workspaces');
mkdirSync(root, { recursive: true });
const runner = await probedRunner(home, root);
let output = '';
const result = await runner.run({
  label: 'setup',
  command: { command: 'bash', args: ['-c', script] },
  policy: { network: true, containerImage: '' },
  cwd: root,
  env: process.env,
  onOutput: (text) => (output += text),
});
console.log(JSON.stringify({ exitCode: result.exitCode, signal: result.signal, output }));
