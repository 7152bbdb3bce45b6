// Wraps a command for the environment's execution policy: an empty network namespace when
// networkAccess is false, or the environment's container image through docker/podman.
import type { Capabilities } from './capabilities.ts';
import { ViberError } from './viber-error.ts';

export interface Command {
  command: string;
  args: string[];
  /** Run after a cancel or timeout: killing the docker client does not always stop its container. */
  cleanup?: { command: string; args: string[] };
}

export interface Policy {
  /** false: no network (tasks only; setup keeps network to install dependencies). */
  network: boolean;
  containerImage: string;
}

/**
 * The command to run under `policy`; throws a clear error when this Viber cannot enforce it rather
 * than running it with fewer restrictions than asked.
 */
export function wrapForPolicy(
  cmd: Command,
  policy: Policy,
  caps: Capabilities,
  cwd: string,
  envKeys: string[],
  name: string,
): Command {
  if (policy.containerImage) {
    if (!caps.container) {
      throw new ViberError(
        'no_container_runtime',
        `the environment asks for container image '${policy.containerImage}' but this Viber has no working docker or podman`,
      );
    }
    const args = ['run', '--rm', '-i', '--init', '--name', name, '-v', `${cwd}:${cwd}`, '-w', cwd];
    if (!policy.network) args.push('--network', 'none');
    // `-e KEY` without a value passes the value from our environment, so secrets stay off the command line.
    for (const key of envKeys) args.push('-e', key);
    args.push('--', policy.containerImage, cmd.command, ...cmd.args);
    return { command: caps.container, args, cleanup: { command: caps.container, args: ['rm', '-f', name] } };
  }
  if (!policy.network) {
    if (!caps.networkIsolation) {
      throw new ViberError(
        'no_network_isolation',
        'the environment has networkAccess off but this Viber cannot create an empty network namespace (unshare -rn); refusing to run with network',
      );
    }
    return { command: 'unshare', args: ['-rn', '--', cmd.command, ...cmd.args] };
  }
  return cmd;
}

/** A bash script run with fail-fast semantics (like CI runners). */
export const bashScript = (script: string): Command => ({
  command: 'bash',
  args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
});
