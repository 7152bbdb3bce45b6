// A runner with what this machine really has (probed as a daemon probes at start), for tests and the
// bench that need the real sandbox, a root Viber's cgroups included. No vitest here: plain Node
// scripts (the bench, oom-scene.ts) use it too.
import { join } from 'node:path';
import { probeCapabilities } from '../src/capabilities.ts';
import { createRunner, type Runner, type RunnerOptions } from '../src/runner.ts';

/** A runner at `home` (state under it) for the workspace root `root`. */
export async function probedRunner(
  home: string,
  root: string,
  options: Pick<RunnerOptions, 'maxRunProcesses' | 'spoolDir'> = {},
): Promise<Runner> {
  return createRunner({
    home,
    root,
    stateDir: join(home, 'state'),
    capabilities: await probeCapabilities(),
    ownSecrets: [],
    ...options,
  });
}
