// What this machine can enforce, probed once at start and published in the Viber's health.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSucceeds } from './runner.ts';
import { hideHomeArgs } from './sandbox.ts';

export interface Capabilities {
  git: boolean;
  /** `unshare -rn` works: tasks with networkAccess false can run in an empty network namespace. */
  networkIsolation: boolean;
  /** 'docker' or 'podman' when its daemon actually answers, else ''. */
  container: string;
  /** What runs here cannot read $VIBER_HOME (config.json: key pair and token; local state): bwrap works. */
  hidesKeys: boolean;
}

/** No capability at all (tests, and a Viber before probing). */
export const NO_CAPABILITIES: Capabilities = {
  git: false,
  networkIsolation: false,
  container: '',
  hidesKeys: false,
};

export async function probeCapabilities(): Promise<Capabilities> {
  const [git, networkIsolation, docker, podman, hidesKeys] = await Promise.all([
    probeSucceeds('git', ['--version']),
    probeSucceeds('unshare', ['-rn', 'true']),
    probeSucceeds('docker', ['info', '--format', '{{.ServerVersion}}']),
    probeSucceeds('podman', ['info', '--format', '{{.Version.Version}}']),
    probeHidesKeys(),
  ]);
  return { git, networkIsolation, container: docker ? 'docker' : podman ? 'podman' : '', hidesKeys };
}

/** 'docker' or 'podman' when its daemon answers now, else '' (probed again at each prepare that needs one). */
export async function probeContainerEngine(): Promise<string> {
  const [docker, podman] = await Promise.all([
    probeSucceeds('docker', ['info', '--format', '{{.ServerVersion}}']),
    probeSucceeds('podman', ['info', '--format', '{{.Version.Version}}']),
  ]);
  return docker ? 'docker' : podman ? 'podman' : '';
}

/** Runs the very sandbox tasks get over a stand-in home: the config must be gone, the workspace there. */
async function probeHidesKeys(): Promise<boolean> {
  const home = mkdtempSync(join(tmpdir(), 'viber-probe-'));
  try {
    const root = join(home, 'workspaces');
    mkdirSync(root);
    const config = join(home, 'config.json');
    writeFileSync(config, '{}', { mode: 0o600 });
    return await probeSucceeds('bwrap', [
      ...hideHomeArgs(home, [root], root),
      'sh',
      '-c',
      // Hidden, usable, and it stays hidden when the task tries to unmount what hides it.
      'test ! -e "$1" && test -d "$2" && test ! -e "/proc/$3" && cd / && ! umount -l "$2" "$4" 2>/dev/null && test ! -e "$1"',
      'probe',
      config,
      root,
      String(process.pid),
      home,
    ]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
