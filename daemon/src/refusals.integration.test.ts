// A document the server refuses for a reason other than the Viber's token — a connection limit, a
// task deleted as the Viber opened it — is let go and tried again later; only a refusal of the
// workspace or the Viber's own document (what any live token opens) stops the daemon ([S4]).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../sync-server/testing/spawn-server.ts';
import { scenario } from '../test/scenario.ts';

describe('a refused document is not a refused Viber', async () => {
  // Five documents per connection: the workspace, the Viber's own, a prepare's log and two of a
  // task's three — so a task opened while its binding prepares is refused one document.
  const server = await spawnServer({ env: { MAX_DOCS_PER_CONNECTION: '5' } });
  afterAll(() => server.dispose());
  const s = await scenario(server);

  it('[S4] a task refused a document while a prepare holds its log runs once the log is closed; the daemon keeps running', async () => {
    const { envId } = await s.environment({ type: 'manual', setupScript: 'sleep 2; echo prepared' });
    const taskId = await s.task(envId);
    const message = await s.send(taskId, 'echo ran-after-the-refusal');
    const run = await s.runState(taskId, message, ['completed', 'error']);
    expect(run).toMatchObject({ state: 'completed' });
    expect(run.output).toContain('ran-after-the-refusal');
    expect(s.viber.output()).toMatch(/the server refused .*too many documents open on this connection/);
    expect(s.viber.output()).not.toMatch(/Onboard again/);
  });
});
