// A tiny container image for tests, made without a registry: busybox-static and bash-static in a
// rootfs, imported with `podman import` (PITFALLS: no registry is reachable; an image without bash
// fails at exec). Removed after the test file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from './temp-dir.ts';

const BUSYBOX = '/bin/busybox';
const BASH_STATIC = '/bin/bash-static';

/** Builds the image with `engine` and returns its name; `bash: false` leaves bash out (busybox sh only). */
export function tinyImage(engine = 'podman', options: { bash?: boolean } = {}): string {
  const withBash = options.bash ?? true;
  const name = `localhost/openviber-test-tiny${withBash ? '' : '-nobash'}:${process.pid}`;
  const rootfs = tempDir('rootfs-');
  const bin = join(rootfs, 'bin');
  mkdirSync(bin);
  for (const dir of ['tmp', 'proc', 'dev', 'sys', 'etc']) mkdirSync(join(rootfs, dir));
  copyFileSync(BUSYBOX, join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  if (withBash) {
    copyFileSync(BASH_STATIC, join(bin, 'bash'));
    chmodSync(join(bin, 'bash'), 0o755);
  }
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets)
    if (applet !== 'bash' && applet !== 'busybox') symlinkSync('busybox', join(bin, applet));
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 << 20 });
  execFileSync(engine, ['import', '--change', 'ENV PATH=/bin', '-', name], {
    input: tar,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  afterAll(() => {
    execFileSync(engine, ['rmi', '-f', name], { stdio: 'ignore' });
  });
  return name;
}

/** Names of the containers (running or not) called exactly `name`. */
export function containersNamed(name: string, engine = 'podman'): string[] {
  return execFileSync(engine, ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
}
