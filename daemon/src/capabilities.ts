// What this machine can enforce, probed once at start and published in the Viber's health.
import { Redactor } from '@openviber/shared';
import { runProcess } from './process-runner.ts';

export interface Capabilities {
  git: boolean;
  /** `unshare -rn` works: tasks with networkAccess false can run in an empty network namespace. */
  networkIsolation: boolean;
  /** 'docker' or 'podman' when its daemon actually answers, else ''. */
  container: string;
}

const answers = async (command: string, args: string[]) => {
  const r = await runProcess({
    command,
    args,
    cwd: process.cwd(),
    env: process.env,
    redactor: new Redactor([]),
    timeoutMs: 5_000,
    graceMs: 500,
  });
  return r.exitCode === 0;
};

export async function probeCapabilities(): Promise<Capabilities> {
  const [git, networkIsolation, docker, podman] = await Promise.all([
    answers('git', ['--version']),
    answers('unshare', ['-rn', 'true']),
    answers('docker', ['info', '--format', '{{.ServerVersion}}']),
    answers('podman', ['info', '--format', '{{.Version.Version}}']),
  ]);
  return { git, networkIsolation, container: docker ? 'docker' : podman ? 'podman' : '' };
}
