// Builds the npm package tarball the server serves at GET /viber.tgz, so a machine with only Node
// (>= 20) and git can run `npx --yes <server>/viber.tgz onboard …` without a checkout.
//
// The CLI and everything it imports (shared, yjs, @hocuspocus/provider, ws, libsodium, zod) are
// bundled by rolldown into one ESM file compiled for Node 20: the package has no dependencies, so
// installing it never reaches the npm registry. `npm pack` then makes the tarball (fixed mtimes, so
// the same code gives the same bytes and the same ETag).
//
// Usage: node daemon/scripts/pack.ts [out.tgz]   (default daemon/dist/viber.tgz; `npm run build` runs it)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { VERSION } from '@openviber/shared';

const DAEMON_DIR = resolve(fileURLToPath(import.meta.url), '../..');
export const DEFAULT_PACKAGE_PATH = join(DAEMON_DIR, 'dist', 'viber.tgz');
/** The oldest Node the bundle is compiled for and tested on (`daemon/src/package.integration.test.ts`). */
export const PACKAGE_NODE_RANGE = '>=20';

// The shim the package's `viber` bin runs: the bundle, told it runs from the served package so it
// prints `npx --yes <server>/viber.tgz start` instead of a checkout's `npx viber start`.
const BIN_SHIM = `#!/usr/bin/env node
// The \`viber\` command of the package the OpenViber server serves (built by daemon/scripts/pack.ts).
import { main } from '../dist/viber.js';

process.exit(await main(process.argv.slice(2), { packaged: true }));
`;

const MANIFEST = {
  name: '@openviber/viber',
  version: VERSION,
  description: 'The OpenViber daemon (a Viber): onboard this machine, then run environments and tasks.',
  type: 'module',
  bin: { viber: 'bin/viber.js' },
  engines: { node: PACKAGE_NODE_RANGE },
  // Everything is bundled: nothing to install from a registry.
  dependencies: {},
  license: 'UNLICENSED',
};

/** The build id file beside the tarball: the server sends it as `x-viber-build` with /viber.tgz. */
export const buildIdPath = (tarball: string) => `${tarball}.build`;

/**
 * Bundles the CLI and packs it; returns the tarball's path. The bundle's hash is its build id, kept
 * in the package's package.json (`viberBuild`) and beside the tarball, so a running packaged daemon
 * can tell that the server now serves another build (npx would keep running the one it cached).
 */
export async function packDaemon(outFile = DEFAULT_PACKAGE_PATH): Promise<string> {
  const staging = mkdtempSync(join(tmpdir(), 'viber-pack-'));
  try {
    await build({
      input: join(DAEMON_DIR, 'src', 'cli.ts'),
      platform: 'node',
      logLevel: 'warn',
      transform: { target: 'node20' },
      // One file: the CLI's lazy imports become plain functions, so no chunk can go missing.
      output: { file: join(staging, 'dist', 'viber.js'), format: 'esm', codeSplitting: false },
    });
    mkdirSync(join(staging, 'bin'));
    writeFileSync(join(staging, 'bin', 'viber.js'), BIN_SHIM, { mode: 0o755 });
    // git-executor.ts finds it at ../bin/git-askpass.sh from the bundle, as from src/.
    copyFileSync(join(DAEMON_DIR, 'bin', 'git-askpass.sh'), join(staging, 'bin', 'git-askpass.sh'));
    chmodSync(join(staging, 'bin', 'git-askpass.sh'), 0o755);
    const viberBuild = createHash('sha256')
      .update(readFileSync(join(staging, 'dist', 'viber.js')))
      .digest('hex')
      .slice(0, 16);
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ ...MANIFEST, viberBuild }, null, 2) + '\n');
    writeFileSync(
      join(staging, 'README.md'),
      'The OpenViber daemon. Run `viber onboard --server <url> --token <token> --name <name>`, then `viber start`.\n',
    );
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', staging], {
      cwd: staging,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const [{ filename }] = JSON.parse(packed) as { filename: string }[];
    mkdirSync(dirname(outFile), { recursive: true });
    // Rename into place so a server never serves a half-written tarball.
    const tmp = `${outFile}.${process.pid}.tmp`;
    writeFileSync(tmp, viberBuild + '\n');
    renameSync(tmp, buildIdPath(outFile));
    copyFileSync(join(staging, filename), tmp);
    renameSync(tmp, outFile);
    return outFile;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const out = await packDaemon(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`viber package: ${out} (${Date.now() - started} ms)`);
}
