// The tests and the bench start servers with SERVER_NODE_FLAGS; a user starts one with `npm start` or
// the README's commands. If those drifted apart, every figure in bench/RESULTS.md would describe a
// server nobody runs (the GC flags move the many-users p99 several-fold).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './spawn-server.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The node flags in front of `sync-server/src/main.ts` in one command line. */
function flagsOf(command: string): string[] {
  const m = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+sync-server\/src\/main\.ts/.exec(command);
  if (!m) throw new Error(`no \`node … sync-server/src/main.ts\` in: ${command}`);
  return m[1].trim().split(/\s+/);
}

describe('the server as shipped and as measured', () => {
  it('npm start passes exactly the V8 flags the tests and the bench start servers with', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(flagsOf(start)).toEqual(SERVER_NODE_FLAGS);
  });

  it('every README command that starts the server passes them too', () => {
    const commands = read('README.md')
      .split('\n')
      .filter((line) => /\bnode\b.*sync-server\/src\/main\.ts/.test(line));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect(flagsOf(command), command).toEqual(SERVER_NODE_FLAGS);
  });
});
