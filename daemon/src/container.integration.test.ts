// The runner's container path against a real engine (podman with runc, as on this project's CI).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '@openviber/shared';
import { killOrphanRuns, readRunRecords } from './run-records.ts';
import { bashScript } from './sandbox.ts';
import { testRunner } from '../test/test-runner.ts';
import { containersNamed, tinyImage } from '../test/tiny-image.ts';
import { waitFor } from '../test/wait-for.ts';

const SECRET = 'container-secret-0123456789';

describe('containers through a real engine', () => {
  const image = tinyImage();
  const runner = testRunner({ capabilities: { container: 'podman' } });

  const start = (name: string, script: string, signal?: AbortSignal) => {
    let output = '';
    const run = runner.run({
      label: `task ${name}`,
      command: bashScript(script),
      policy: { network: false, containerImage: image },
      containerName: name,
      cwd: runner.root,
      env: { ...process.env, API_TOKEN: SECRET },
      containerEnvKeys: ['API_TOKEN'],
      redactor: new Redactor([{ name: 'API_TOKEN', value: SECRET }]),
      onOutput: (t) => (output += t),
      signal,
      graceMs: 500,
    });
    return { run, output: () => output };
  };

  it('runs in the image with the working directory, secrets by name (redacted), no network, and an init', async () => {
    const { run, output } = start(
      'viber-test-plain',
      'echo "token=$API_TOKEN"; echo made > made.txt; ls /sys/class/net; cat /proc/1/cmdline | tr "\\0" " "',
    );
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(output()).toContain('token=[REDACTED:API_TOKEN]');
    expect(output()).not.toContain(SECRET);
    expect(output()).toMatch(/^lo$/m); // --network none: loopback only
    expect(output()).toContain('init');
    expect(readFileSync(join(runner.root, 'made.txt'), 'utf8')).toBe('made\n');
    expect(containersNamed('viber-test-plain')).toEqual([]);
  });

  it('a cancel stops the run and removes its container before the run returns', async () => {
    const controller = new AbortController();
    const { run, output } = start('viber-test-cancel', 'echo up; sleep 1000', controller.signal);
    await waitFor(() => output().includes('up'));
    expect(containersNamed('viber-test-cancel')).toEqual(['viber-test-cancel']);
    controller.abort();
    expect((await run).cancelled).toBe(true);
    expect(containersNamed('viber-test-cancel')).toEqual([]);
  });

  it('[R2] the container of a hard-killed daemon (the engine keeps it running) is removed by the orphan cleanup', async () => {
    const { run, output } = start('viber-test-orphan', 'echo up; sleep 1000');
    await waitFor(() => output().includes('up'));
    await waitFor(() => readRunRecords(runner.stateDir).find((r) => r.pgid));
    expect(await killOrphanRuns(runner.stateDir)).toEqual(['task viber-test-orphan']);
    expect(containersNamed('viber-test-orphan')).toEqual([]);
    await run;
    expect(existsSync(join(runner.stateDir, 'running'))).toBe(true);
    expect(readRunRecords(runner.stateDir)).toEqual([]);
  });
});
