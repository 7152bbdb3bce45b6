import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_RUN_OUTPUT_CHARS,
  appendMessage,
  listTasks,
  taskDocName,
  readTaskRunSummary,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { fixture, fixturePath } from '../test/fixture-files.ts';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { alive, hostPidOf } from '../test/process-alive.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'tok-RUNTIME-abcdef123456';
const MULTI = 'BEGIN-KEY-aaaaaaaaaaaa\nMIDDLE-KEY-bbbbbbbbbbb\nEND-KEY-cccccccccccc';

describe('task execution through the real server', async () => {
  const server = await useServer();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '20000' });
  const repo = makeRepo({
    'prints-secret.sh': fixture('prints-secret.sh'),
    'slow-count.sh': fixture('slow-count.sh'),
    'forever.sh': fixture('forever.sh'),
  });
  const { envId, bindingId } = await s.environment(
    { repoUrl: repo.url, vars: { GREETING: 'hi-var' } },
    {
      API_TOKEN: { value: SECRET },
      MULTI_KEY: { value: MULTI },
      SETUP_ONLY: { value: 'setup-only-value-123', scope: 'setup' },
    },
  );
  await s.prepared(bindingId);

  it('[D4] [X6] a message runs in the environment with vars and runtime secrets (a setup-scoped one does not reach it), and its output arrives live in a peer', async () => {
    const taskId = await s.task(envId);
    const first = await s.send(taskId, 'echo "var=$GREETING"; echo "setup-only=${SETUP_ONLY:-absent}"; pwd');
    const done = await s.runState(taskId, first, ['completed', 'error']);
    expect(done).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(done.output).toContain('var=hi-var');
    expect(done.output).toContain('setup-only=absent');
    expect(done.output).toContain(join(s.viber.home, 'workspaces'));

    const slow = await s.send(taskId, './slow-count.sh');
    const live = await s.runState(taskId, slow, ['progress']);
    await waitFor(async () => (await s.run(taskId, slow))?.output.includes('tick 2'));
    expect((await s.run(taskId, slow))?.state).toBe('progress');
    expect(live.output).not.toContain('tick 10');
    const end = await s.runState(taskId, slow, ['completed']);
    expect(end.output).toContain('tick 10');
    const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    const summary = await waitFor(
      () =>
        readTaskRunSummary(viberDoc, taskId)?.state === 'completed' && readTaskRunSummary(viberDoc, taskId),
    );
    expect(summary).toMatchObject({ messageId: slow, state: 'completed' });
  });

  it('[X7] a secret echoed plainly, base64, split across writes or multi-line never appears in any document', async () => {
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, './prints-secret.sh');
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.output).toContain('done printing');
    expect(run.output).toContain('plain: [REDACTED:API_TOKEN]');
    expect(run.output).toContain('split: [REDACTED:API_TOKEN]');
    const failing = await s.send(taskId, `echo "$API_TOKEN" >&2; exit 4`);
    expect(await s.runState(taskId, failing, ['error'])).toMatchObject({ exitCode: 4 });
    await s.peer.doc(workspaceDocName(s.user.userId));
    const everything = s.peer.dumpAll();
    const forms = [
      SECRET,
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET + '\n').toString('base64'),
      ...MULTI.split('\n'),
    ];
    for (const form of forms) expect(everything).not.toContain(form);
  });

  it('[D4] output is bounded: a run that prints more than the limit keeps the tail and counts what it dropped', async () => {
    const taskId = await s.task(envId);
    const msg = await s.send(
      taskId,
      `head -c ${MAX_RUN_OUTPUT_CHARS + 100_000} /dev/zero | tr '\\0' 'x'; echo; echo THE-END`,
    );
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.state).toBe('completed');
    expect(run.output.length).toBeLessThanOrEqual(MAX_RUN_OUTPUT_CHARS);
    expect(run.droppedChars).toBeGreaterThanOrEqual(100_000);
    expect(run.output.trimEnd().endsWith('THE-END')).toBe(true);
  });

  it('[D5] cancel stops the whole tree, grandchild included', async () => {
    const pidFile = join(tempDir(), 'grandchild.pid');
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, `PID_FILE=${pidFile} ./forever.sh`);
    const pid = await hostPidOf(pidFile);
    expect(alive(pid)).toBe(true);
    await s.api('POST', `/api/tasks/${taskId}/cancel`);
    expect(await s.runState(taskId, msg, ['cancelled'])).toMatchObject({ state: 'cancelled' });
    await waitFor(() => !alive(pid), { what: 'the grandchild to die' });
  });

  it('[D4] runs cut off by a hard restart are marked interrupted; messages queued while offline then run in order', async () => {
    const pidFile = join(tempDir(), 'grandchild.pid');
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, `PID_FILE=${pidFile} ./forever.sh`);
    const pid = await hostPidOf(pidFile);
    await s.viber.kill();
    const queued = [
      await s.send(taskId, 'echo one >> order.txt'),
      await s.send(taskId, 'echo two >> order.txt; cat order.txt'),
    ];
    s.viber.start({ VIBER_TASK_TIMEOUT_MS: '20000' });
    expect(await s.runState(taskId, msg, ['interrupted', 'completed', 'error', 'cancelled'])).toMatchObject({
      state: 'interrupted',
    });
    await waitFor(() => !alive(pid), { what: 'the orphaned grandchild to be stopped' });
    const last = await s.runState(taskId, queued[1], ['completed', 'error']);
    expect(last.output).toBe('one\ntwo\n');
  });

  it('[V3] a message that reaches the server without its bump (a crashed server lost it, the device sent it again) still runs', async () => {
    const taskId = await s.task(envId);
    const first = await s.send(taskId, 'echo first');
    expect(await s.runState(taskId, first, ['completed', 'error'])).toMatchObject({ state: 'completed' });
    // The Viber has the task recorded idle at its updatedAt as it stands.
    const updatedAt = (await s.api('GET', `/api/tasks/${taskId}`)).task.updatedAt as number;
    const journal = join(s.viber.home, 'state', 'run-journal.jsonl');
    await waitFor(() =>
      readFileSync(journal, 'utf8')
        .split('\n')
        .some((line) => line.includes(`"k":"idle","t":"${taskId}","u":${updatedAt}`)),
    );
    await s.viber.stop();
    // A device's message arrives by itself: no bump of the task's updatedAt in the workspace.
    const doc = await s.peer.doc(taskDocName(s.user.userId, taskId));
    appendMessage(doc, 'echo resent', s.user.userId, Date.now(), { messageId: 'msg_resent' });
    s.viber.start({ VIBER_TASK_TIMEOUT_MS: '20000' });
    const run = await s.runState(taskId, 'msg_resent', ['completed', 'error']);
    expect(run).toMatchObject({ state: 'completed' });
    expect(run.output).toBe('resent\n');
  });

  it('[R3] links a task plants where the daemon reads and writes after it (its git index, the scratch index) reach nothing of $VIBER_HOME', async () => {
    const leak = join(tempDir(), 'leak');
    const root = join(s.viber.home, 'workspaces');
    const config = readFileSync(join(s.viber.home, 'config.json'), 'utf8');
    const token = (JSON.parse(config) as { authToken: string }).authToken;
    const taskId = await s.task(envId);
    const plant = [
      'idx=$(git rev-parse --git-path index)',
      `rm -f "$idx"; ln -s ${join(s.viber.home, 'config.json')} "$idx"`,
      `mkdir -p ${root}/.changes; ln -sf ${leak} ${root}/.changes/$OPENVIBER_TASK_ID.index`,
      'echo planted',
    ].join('; ');
    const first = await s.send(taskId, plant);
    expect(await s.runState(taskId, first, ['completed', 'error'])).toMatchObject({ state: 'completed' });
    // Its changes are computed after it (and again after the next message).
    const second = await s.send(taskId, `cat ${leak} 2>/dev/null | head -c 200; echo done`);
    const run = await s.runState(taskId, second, ['completed', 'error']);
    expect(run.output).toContain('done');
    expect(existsSync(leak) ? readFileSync(leak, 'utf8') : '').not.toContain(token);
    expect(run.output).not.toContain(token.slice(0, 12));
  });

  it('[D4] a run cut off by SIGTERM is recorded interrupted, never left started', async () => {
    const pidFile = join(tempDir(), 'grandchild.pid');
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, `PID_FILE=${pidFile} ./forever.sh`);
    const pid = await hostPidOf(pidFile);
    await s.viber.stop();
    expect(await s.runState(taskId, msg, ['interrupted', 'completed', 'error', 'cancelled'])).toMatchObject({
      state: 'interrupted',
    });
    s.viber.start({ VIBER_TASK_TIMEOUT_MS: '20000' });
    await waitFor(() => !alive(pid), { what: 'the grandchild to die' });
    const next = await s.send(taskId, 'echo back');
    expect(await s.runState(taskId, next, ['completed', 'error'])).toMatchObject({ state: 'completed' });
  });

  it('deleting the environment stops its running task and the Viber lets go of it', async () => {
    const { envId: doomed, bindingId: b } = await s.environment({ repoUrl: repo.url });
    await s.prepared(b);
    const pidFile = join(tempDir(), 'grandchild.pid');
    const taskId = await s.task(doomed);
    await s.send(taskId, `PID_FILE=${pidFile} ./forever.sh`);
    const pid = await hostPidOf(pidFile);
    await s.api('DELETE', `/api/environments/${doomed}`);
    await waitFor(() => !alive(pid), { what: 'the task of a deleted environment to stop' });
  });

  it('networkAccess false runs in an empty network namespace, or is refused clearly', async () => {
    const { envId: isolated, bindingId: b } = await s.environment({ type: 'manual', networkAccess: false });
    await s.prepared(b);
    const taskId = await s.task(isolated);
    const msg = await s.send(taskId, 'cat /proc/net/dev');
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    const caps = (viberDoc.getMap('health').get('capabilities') as { get(k: string): unknown }).get(
      'networkIsolation',
    );
    if (caps) {
      expect(run.state).toBe('completed');
      const interfaces = run.output
        .split('\n')
        .slice(2)
        .filter((l) => l.trim())
        .map((l) => l.split(':')[0].trim());
      expect(interfaces).toEqual(['lo']);
    } else {
      expect(run.error).toMatch(/network/);
    }
  });

  it('a container image with no working docker/podman fails clearly', async () => {
    const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    const runtime = (viberDoc.getMap('health').get('capabilities') as { get(k: string): unknown }).get(
      'container',
    );
    if (runtime) return; // a machine with a live container runtime runs it instead
    const { envId: boxed, bindingId: b } = await s.environment({
      type: 'manual',
      containerImage: 'alpine:3',
    });
    await s.prepared(b);
    const taskId = await s.task(boxed);
    const msg = await s.send(taskId, 'echo inside');
    expect((await s.runState(taskId, msg, ['error', 'completed'])).error).toMatch(
      /no working docker or podman/,
    );
  });

  it('[D4] without a persisted volume each task gets its own git worktree', async () => {
    const { envId: eph, bindingId: b } = await s.environment({ repoUrl: repo.url, persistVolume: false });
    await s.prepared(b);
    const [t1, t2] = [await s.task(eph), await s.task(eph)];
    const m1 = await s.send(t1, 'echo mine > only-here.txt; pwd');
    const r1 = await s.runState(t1, m1, ['completed', 'error']);
    const m2 = await s.send(t2, 'ls only-here.txt 2>&1 || echo absent; ls slow-count.sh; pwd');
    const r2 = await s.runState(t2, m2, ['completed', 'error']);
    expect(r2.output).toContain('absent');
    expect(r2.output).toContain('slow-count.sh');
    expect(r1.output.trim()).not.toBe(r2.output.trim().split('\n').at(-1));
    expect(listTasks(await s.peer.doc(workspaceDocName(s.user.userId))).length).toBeGreaterThan(1);
  });

  it('[R3] a task sees its own environment’s checkout and worktree, never another environment’s (what that setup wrote from its secrets)', async () => {
    const other = await s.environment(
      { repoUrl: repo.url, setupScript: 'echo "OTHER=$OTHER_TOKEN" > .env' },
      { OTHER_TOKEN: { value: 'tok-OTHER-env-123456', scope: 'setup' } },
    );
    await s.prepared(other.bindingId);
    const root = join(s.viber.home, 'workspaces');
    expect(readFileSync(join(root, 'checkouts', other.bindingId, '.env'), 'utf8')).toContain('tok-OTHER');
    const { envId: own, bindingId: ownBinding } = await s.environment({
      repoUrl: repo.url,
      persistVolume: false,
    });
    await s.prepared(ownBinding);
    const [t1, t2] = [await s.task(own), await s.task(own)];
    await s.runState(t2, await s.send(t2, 'echo theirs > t2-notes'), ['completed']);
    const snoop = await s.send(
      t1,
      [
        `cat ${root}/checkouts/*/.env || echo no-env-file`,
        `ls ${root}/checkouts ${root}/worktrees`,
        `cat ${root}/worktrees/${t2}/t2-notes || echo no-t2`,
        // Its own work: the worktree commits into its checkout's git directory.
        'echo x > mine.txt && git add mine.txt && git -c user.name=t -c user.email=t@t commit -qm mine && echo committed',
      ].join('; '),
    );
    const run = await s.runState(t1, snoop, ['completed', 'error']);
    expect(run.output).not.toContain('tok-OTHER');
    expect(run.output).toContain('no-env-file');
    expect(run.output).toContain('no-t2');
    expect(run.output).toContain(ownBinding);
    expect(run.output).not.toContain(other.bindingId);
    expect(run.output).toContain('committed');
  });

  it('[R3] what an environment’s setup plants for the daemon — a filter its git would run, a working directory made a link — reaches no other environment', async () => {
    const root = join(s.viber.home, 'workspaces');
    const other = await s.environment(
      { repoUrl: repo.url, setupScript: 'echo "OTHER=$OTHER_TOKEN" > .env' },
      { OTHER_TOKEN: { value: 'tok-OTHER-env-654321', scope: 'setup' } },
    );
    await s.prepared(other.bindingId);
    const otherEnv = join(root, 'checkouts', other.bindingId, '.env');
    // A filter in its checkout's config, run by the git that adds a task's worktree.
    const steal = `cp ${otherEnv} stolen.txt 2>/dev/null; echo planted >> ${otherEnv}; cat`;
    const filtered = await s.environment({
      repoUrl: repo.url,
      persistVolume: false,
      setupScript: `git config filter.x.smudge '${steal}' && echo '* filter=x' > .git/info/attributes`,
    });
    await s.prepared(filtered.bindingId);
    const t1 = await s.task(filtered.envId);
    const r1 = await s.runState(t1, await s.send(t1, 'cat stolen.txt; ls'), ['completed', 'error']);
    expect(r1.state).toBe('error');
    expect(r1.error).toMatch(/filter\.x\.smudge/);
    // Its working directory turned into a link to the workspace root.
    const linked = makeRepo({ 'app/readme': 'x\n' });
    const escaping = await s.environment({
      repoUrl: linked.url,
      workingDir: 'app',
      setupScript: 'cd .. && rm -rf app && ln -s ../.. app',
    });
    await s.prepared(escaping.bindingId);
    const t2 = await s.task(escaping.envId);
    const r2 = await s.runState(t2, await s.send(t2, `cat checkouts/*/.env`), ['completed', 'error']);
    expect(r2.state).toBe('error');
    expect(r2.error).toMatch(/goes through a link/);
    expect(r1.output + r2.output).not.toContain('tok-OTHER');
    expect(readFileSync(otherEnv, 'utf8')).toBe('OTHER=tok-OTHER-env-654321\n');
  });

  it('an agentCommand gets the message as its last argument, never as shell text', async () => {
    const { envId: agentEnv, bindingId: b } = await s.environment({
      type: 'manual',
      agentCommand: `bash ${fixturePath('echo-args.sh')}`,
    });
    await s.prepared(b);
    const taskId = await s.task(agentEnv);
    const msg = await s.send(taskId, 'fix the bug; $(touch hacked) `touch hacked2`');
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.output).toContain('arg: fix the bug; $(touch hacked) `touch hacked2`');
    expect(run.state).toBe('completed');
  });
});
