// A real runner for unit tests: its own $VIBER_HOME in a temp folder, records under its state dir.
import { join } from 'node:path';
import type { NamedSecret } from '@openviber/shared';
import type { Capabilities } from '../src/capabilities.ts';
import { createRunner, type Runner } from '../src/runner.ts';
import { tempDir } from './temp-dir.ts';

/** What this test machine has (bubblewrap and unshare are required, as in CI); no container engine. */
export const TEST_CAPABILITIES: Capabilities = {
  git: true,
  networkIsolation: true,
  container: '',
  hidesKeys: true,
};

export interface TestRunner extends Runner {
  home: string;
  root: string;
  stateDir: string;
}

export function testRunner(
  options: {
    capabilities?: Partial<Capabilities>;
    root?: string;
    home?: string;
    ownSecrets?: NamedSecret[];
  } = {},
): TestRunner {
  const home = options.home ?? tempDir('viber-home-');
  const root = options.root ?? join(home, 'workspaces');
  const stateDir = join(home, 'state');
  const runner = createRunner({
    home,
    root,
    stateDir,
    capabilities: { ...TEST_CAPABILITIES, ...options.capabilities },
    ownSecrets: options.ownSecrets ?? [],
    spoolDir: join(stateDir, 'output'),
  });
  return { ...runner, home, root, stateDir };
}
