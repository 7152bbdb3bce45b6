import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHealth, viberDocName } from '@openviber/shared';
import { processesWithEnv } from './process-identity.ts';
import { pidsHierarchy, runCgroupsFolder } from './run-cgroups.ts';
import { fixture } from '../test/fixture-files.ts';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

interface SetupRun {
  id: string;
  start: bigint;
  ticks: bigint[];
  end?: bigint;
}

/** Parses timed-setup.sh's log ("start|tick|end <ns> <run id>") into runs, in start order. */
function setupRuns(logFile: string): SetupRun[] {
  const runs = new Map<string, SetupRun>();
  for (const line of readFileSync(logFile, 'utf8').trim().split('\n')) {
    const [kind, at, id] = line.split(' ') as [string, string, string];
    const t = BigInt(at);
    if (kind === 'start') runs.set(id, { id, start: t, ticks: [] });
    else if (kind === 'tick') runs.get(id)!.ticks.push(t);
    else runs.get(id)!.end = t;
  }
  return [...runs.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
}

/** As root, where runs get pids cgroups: the run cgroups now under the Viber's folder; else null. */
function rootRunCgroups(home: string): (() => string[]) | null {
  const at = pidsHierarchy(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    readFileSync('/proc/self/cgroup', 'utf8'),
  );
  if (process.getuid?.() !== 0 || !at) return null;
  const folder = join(at.parent, runCgroupsFolder(home));
  return () => (existsSync(folder) ? readdirSync(folder).filter((name) => name.startsWith('run-')) : []);
}

describe('the one runner through a real daemon', async () => {
  const server = await useServer();
  const s = await scenario(server);

  // A machine where bubblewrap does not work (user namespaces off, say): only the run records stop orphans.
  const noBwrap = tempDir('no-bwrap-');
  writeFileSync(join(noBwrap, 'bwrap'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });

  it.each([
    ['keys hidden (the bwrap sandbox dies with its daemon)', true, {}],
    ['no working bwrap (the run record stops it)', false, { PATH: `${noBwrap}:${process.env.PATH}` }],
  ])(
    '[R2] kill -9 of the daemon during setup, then restart: the old setup is gone before the new one starts — %s',
    async (_, hidesKeys, env: Record<string, string>) => {
      await s.viber.stop();
      s.viber.start(env);
      const logFile = join(tempDir(), 'setup.log');
      const repo = makeRepo({ 'timed-setup.sh': fixture('timed-setup.sh') });
      const { bindingId } = await s.environment({
        repoUrl: repo.url,
        setupScript: './timed-setup.sh',
        vars: { SETUP_LOG: logFile },
      });
      // The first setup is working (it would tick for 30 s) when the daemon dies without a word.
      await waitFor(() => existsSync(logFile) && setupRuns(logFile)[0]!.ticks.length >= 3, {
        what: 'the first setup to be working',
      });
      await s.viber.kill();
      // [R3a] As root, the killed daemon's setup ran in a pids cgroup of its own, which nobody removed.
      const runCgroups = rootRunCgroups(s.viber.home);
      if (runCgroups && hidesKeys) expect(runCgroups()).toHaveLength(1);
      s.viber.start(env);
      expect(await s.prepared(bindingId)).toMatchObject({ state: 'ready' });
      // The next start removed it; the new setup's is gone with its run.
      if (runCgroups) expect(runCgroups()).toEqual([]);

      const [first, second, ...more] = setupRuns(logFile);
      expect(more).toEqual([]);
      expect(second?.end).toBeDefined();
      // The first never reached its end, and its last sign of life came before the second started.
      expect(first!.end).toBeUndefined();
      expect(first!.ticks.at(-1)! < second!.start).toBe(true);
      expect(processesWithEnv('SETUP_LOG', logFile)).toEqual([]);
      expect(s.viber.output()).toContain(`hidesKeys=${hidesKeys}`);
      if (!hidesKeys) {
        expect(s.viber.output()).toMatch(/stopped what a previous run left running: setup binding bnd_/);
      }
    },
  );

  it.each([
    ['with network', true],
    ['in an empty network namespace', false],
  ])(
    '[R3] a task (and a setup script) cannot read the Viber’s key pair, token or state: %s',
    async (_, networkAccess) => {
      await s.viber.stop();
      s.viber.start();
      const config = join(s.viber.home, 'config.json');
      // Transformed so that redaction, the last line of defence, cannot be what keeps them out.
      const snoop = [
        `rev "$VIBER_HOME/config.json"`,
        `rev ${config}`,
        'for p in /proc/[0-9]*; do rev "$p/root' + config + '" "$p/environ"; done 2>/dev/null',
        `ls -R ${join(s.viber.home, 'state')}`,
        'echo finished',
      ].join('; ');
      const repo = makeRepo({ 'README.md': 'x' });
      const { envId, bindingId } = await s.environment({
        repoUrl: repo.url,
        networkAccess,
        setupScript: `(${snoop}) > snooped-in-setup.txt 2>&1 || true`,
      });
      const prepared = await s.prepared(bindingId);
      expect(prepared.state).toBe('ready');
      // Published, so the app can say whether this Viber hides its keys.
      const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
      expect(readHealth(viberDoc)?.capabilities.hidesKeys).toBe(true);
      const taskId = await s.task(envId);
      const msg = await s.send(taskId, snoop);
      const run = await s.runState(taskId, msg, ['completed', 'error']);
      const setupSaw = readFileSync(join(prepared.resolvedWorkingDir, 'snooped-in-setup.txt'), 'utf8');
      for (const seen of [run.output, setupSaw]) {
        expect(seen).toContain('finished');
        for (const secret of [s.viber.config.privateKey, s.viber.config.authToken]) {
          expect(seen).not.toContain(secret);
          expect(seen).not.toContain([...secret].reverse().join(''));
        }
        expect(seen).not.toContain('running'); // the run records' folder
      }
    },
  );
});
