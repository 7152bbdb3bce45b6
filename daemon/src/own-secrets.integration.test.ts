// [X7] The Viber's own token and private key are redacted from everything it writes, whatever the
// environment's secrets: the last line of defence when a task can read $VIBER_HOME/config.json.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../test/git-repo.ts';
import { scenario } from '../test/scenario.ts';
import { tempDir } from '../test/temp-dir.ts';
import { useServer } from '../test/test-server.ts';

describe("[X7] the Viber's own credentials", async () => {
  const server = await useServer();
  const s = await scenario(server, { VIBER_TASK_TIMEOUT_MS: '20000' });
  const repo = makeRepo({ 'README.md': 'hello\n' });
  const { envId, bindingId } = await s.environment(
    { repoUrl: repo.url },
    { API_TOKEN: { value: 'tok-env-secret-123456' } },
  );
  await s.prepared(bindingId);

  it('never reach the server when a task prints config.json, plainly or encoded', async () => {
    const { authToken, privateKey } = s.viber.config;
    // A copy outside $VIBER_HOME: the sandbox may hide the original; redaction must hold regardless.
    const copy = join(tempDir(), 'config-copy.json');
    copyFileSync(join(s.viber.home, 'config.json'), copy);
    const taskId = await s.task(envId);
    const msg = await s.send(
      taskId,
      [
        `cat "${s.viber.home}/config.json"`,
        `cat "${copy}"`,
        `base64 < "${copy}"`,
        `python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "${copy}"`,
        `printf '%s' '${privateKey}' | base64 -d | xxd -p -c 0`,
        `echo done-printing`,
      ].join('; '),
    );
    const run = await s.runState(taskId, msg, ['completed', 'error']);
    expect(run.output).toContain('done-printing');
    expect(run.output).toContain('[REDACTED:VIBER_TOKEN]');
    expect(run.output).toContain('[REDACTED:VIBER_PRIVATE_KEY]');
    const key = Buffer.from(privateKey, 'base64');
    const forms = [
      authToken,
      privateKey,
      key.toString('hex'),
      key.toString('base64url'),
      JSON.stringify(authToken).slice(1, -1),
      Buffer.from(`"authToken": "${authToken}"`).toString('base64').slice(8, 40),
    ];
    const everything = s.peer.dumpAll();
    for (const form of forms) expect(everything).not.toContain(form);
  });
});
