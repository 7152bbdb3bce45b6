// [V5] Deleting an environment through the API leaves nothing of it on the Viber: no checkout, no
// worktree, no state file, no local run document, no observation or run summary in its document.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readObservation, readTaskRunSummary, viberDocName } from '@openviber/shared';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

describe('deletion on the Viber', async () => {
  const server = await useServer();
  const s = await scenario(server);
  const repo = makeRepo({ 'README.md': 'hello\n' });

  it('[V5] deleting an environment removes its checkout, worktrees, state and observations from the Viber', async () => {
    const { envId, bindingId } = await s.environment({ repoUrl: repo.url, persistVolume: false });
    const { envId: keptEnv, bindingId: keptBinding } = await s.environment({ repoUrl: repo.url });
    await s.prepared(bindingId);
    await s.prepared(keptBinding);
    const taskId = await s.task(envId);
    const msg = await s.send(taskId, 'echo hi > made-here.txt');
    await s.runState(taskId, msg, ['completed']);
    const keptTask = await s.task(keptEnv);
    await s.runState(keptTask, await s.send(keptTask, 'echo kept'), ['completed']);

    const home = s.viber.home;
    const checkout = join(home, 'workspaces', 'checkouts', bindingId);
    const worktree = join(home, 'workspaces', 'worktrees', taskId);
    // Its documents' files, and their markers of changes not yet re-sent ([V1]).
    const localRunDoc = () =>
      readdirSync(join(home, 'docs')).filter((f) => f.includes(taskId) && f.endsWith('.yupd'));
    const localMarkers = () =>
      readdirSync(join(home, 'docs')).filter((f) => f.includes(taskId) && !f.endsWith('.yupd'));
    const viberDoc = await s.peer.doc(viberDocName(s.user.userId, s.viber.config.viberId));
    expect(existsSync(checkout)).toBe(true);
    expect(existsSync(worktree)).toBe(true);
    expect(existsSync(join(home, 'state', `${bindingId}.json`))).toBe(true);
    expect(localRunDoc()).toHaveLength(2); // its run output and its changes
    await waitFor(() => readTaskRunSummary(viberDoc, taskId), { what: 'the run summary' });

    await s.api('DELETE', `/api/environments/${envId}`);
    await waitFor(() => !existsSync(checkout) && !existsSync(worktree), {
      what: 'the checkout and worktree to be removed',
    });
    await waitFor(() => !readObservation(viberDoc, bindingId) && !readTaskRunSummary(viberDoc, taskId), {
      what: 'the observation and run summary to be removed',
    });
    expect(existsSync(join(home, 'state', `${bindingId}.json`))).toBe(false);
    expect(localRunDoc()).toHaveLength(0);
    expect(localMarkers()).toHaveLength(0);
    // The other environment is untouched.
    expect(existsSync(join(home, 'workspaces', 'checkouts', keptBinding))).toBe(true);
    expect(readObservation(viberDoc, keptBinding)).toBeDefined();
    expect(readTaskRunSummary(viberDoc, keptTask)).toBeDefined();
  });
});
