// Before a prepare uses a container image: the engine is probed again (it may have been installed,
// started or stopped since the daemon started) and the image must have bash, which setup scripts
// and tasks run with. Without it an engine says only "failed to exec pid1: No such file or
// directory" (catatonit); we name the missing shell instead.
import type * as Y from 'yjs';
import { readHealth, writeHealth } from '@openviber/shared';
import { ViberError } from './viber-error.ts';
import { probeContainerEngine } from './capabilities.ts';
import { lastLines } from './git-executor.ts';
import type { Runner } from './runner.ts';

const CHECK_TIMEOUT_MS = 120_000;

/** Throws a ViberError naming what is missing: the engine, bash in the image, or a working image. */
export async function checkContainerImage(
  runner: Runner,
  image: string,
  cwd: string,
  signal?: AbortSignal,
  viberDoc?: Y.Doc,
): Promise<void> {
  const engine = await probeContainerEngine();
  // The runner reads its capabilities at each run: what the probe found now is what runs next, and
  // the health the app shows says so too.
  (runner.capabilities as { container: string }).container = engine;
  const health = viberDoc && readHealth(viberDoc);
  if (health && health.capabilities.container !== engine)
    writeHealth(viberDoc, { ...health, capabilities: { ...health.capabilities, container: engine } });
  if (!engine) {
    throw new ViberError(
      'no_container_runtime',
      `the environment asks for container image '${image}' but no docker or podman answers on this Viber`,
    );
  }
  const shell = (name: string) =>
    runner.run({
      label: `container check ${name}`,
      command: { command: name, args: ['-c', 'exit 0'] },
      policy: { network: false, containerImage: image },
      cwd,
      env: process.env,
      timeoutMs: CHECK_TIMEOUT_MS,
      signal,
    });
  const bash = await shell('bash');
  if (bash.exitCode === 0) return;
  if ((await shell('sh')).exitCode === 0) {
    throw new ViberError(
      'image_without_bash',
      `the container image '${image}' has no bash (setup scripts and tasks run with bash); add bash to the image (Debian: bash or bash-static; Alpine: apk add bash)`,
    );
  }
  throw new ViberError(
    'image_failed',
    `the container image '${image}' cannot run a shell with ${engine}: ${lastLines(bash.tail, 5)}`,
  );
}
