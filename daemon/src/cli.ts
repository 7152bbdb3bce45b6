// The `viber` command line: onboard, start, status, each with --help.
// Commands load their modules on demand, so `--help` and flag errors answer fast.
import { helpText, parseCommandArgs, type CommandSpec } from './cli-args.ts';
import { viberHome } from './config.ts';
import { ViberError, messageOf } from './viber-error.ts';

const ONBOARD: CommandSpec = {
  name: 'onboard',
  summary: 'Registers this machine as a Viber with the server, using the one-time token the app shows.',
  usage: 'viber onboard --server <url> --token <onboarding token> [--trust <fingerprint>] [--name <name>]',
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    name: { type: 'string' },
    trust: { type: 'string' },
    force: { type: 'boolean' },
  },
  optionHelp: [
    '--server <url>      the server, e.g. http://127.0.0.1:4321',
    '--token <token>     the onboarding token from the app',
    '--name <name>       how the app shows this Viber (default: the host name)',
    '--trust <fpr>       run only what your devices signed: pin the signing key with this fingerprint',
    '--force             replace an existing onboarding in $VIBER_HOME',
  ],
};
const START: CommandSpec = {
  name: 'start',
  summary: 'Runs the Viber in the foreground until SIGINT/SIGTERM: prepares environments and runs tasks.',
  usage: 'viber start',
  options: {},
  optionHelp: [],
};
const STATUS: CommandSpec = {
  name: 'status',
  summary:
    'Shows this Viber and its key fingerprint, whether its daemon runs and whether its server accepts it (exit 0 only if both).',
  usage: 'viber status',
  options: {},
  optionHelp: [],
};
const COMMANDS = [ONBOARD, START, STATUS];

const USAGE = [
  'Usage: viber <command> [options]',
  '',
  'Commands:',
  ...COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`),
  '',
  `Config and keys live in $VIBER_HOME (default ~/.openviber). Run \`viber <command> --help\` for details.`,
].join('\n');

const out = (text: string) => process.stdout.write(text + '\n');
const stamp = (line: string) => out(`${new Date().toISOString()} ${line}`);

export interface CliOptions {
  /** Run from the package the server serves (`npx <server>/viber.tgz`), not from a checkout. */
  packaged?: boolean;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], options: CliOptions = {}): Promise<number> {
  // How to run `viber start` the way this CLI was run: nothing else is installed on a packaged machine.
  const startCommand = (server: string) =>
    options.packaged ? `npx --yes ${server}/viber.tgz start` : 'viber start';
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE);
    return name ? 0 : 1;
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    process.stderr.write(`viber: unknown command '${name}'\n\n${USAGE}\n`);
    return 1;
  }
  try {
    const flags = parseCommandArgs(spec, rest);
    if (flags.help) {
      out(helpText(spec));
      return 0;
    }
    const home = viberHome();
    if (spec === ONBOARD) return await runOnboard(home, flags, startCommand);
    if (spec === STATUS) {
      const [{ statusReport }, { readConfig }] = await Promise.all([
        import('./status.ts'),
        import('./config.ts'),
      ]);
      const report = await statusReport(home, startCommand(readConfig(home).server));
      out(report.text);
      return report.healthy ? 0 : 1;
    }
    return await runStart(home, options.packaged ? startCommand : undefined);
  } catch (error) {
    process.stderr.write(
      `viber ${name}: ${error instanceof ViberError ? error.message : messageOf(error)}\n`,
    );
    return 1;
  }
}

async function runOnboard(
  home: string,
  flags: Record<string, string | boolean | undefined>,
  startCommand: (server: string) => string,
): Promise<number> {
  for (const flag of ['server', 'token'] as const) {
    if (typeof flags[flag] !== 'string' || !flags[flag])
      throw new ViberError('bad_flag', `--${flag} is required\nRun \`viber onboard --help\` for usage.`);
  }
  const { onboard } = await import('./onboard.ts');
  const { configPath } = await import('./config.ts');
  const { existsSync } = await import('node:fs');
  if (existsSync(configPath(home)) && !flags.force) {
    throw new ViberError(
      'already_onboarded',
      `${configPath(home)} already holds a Viber; pass --force to replace it, or set VIBER_HOME`,
    );
  }
  const { config, fingerprint } = await onboard({
    home,
    server: flags.server as string,
    token: flags.token as string,
    name: flags.name as string | undefined,
    trust: typeof flags.trust === 'string' ? flags.trust : undefined,
  });
  out(`Onboarded as Viber '${config.name}' (${config.viberId}) on ${config.server}.`);
  out(`Key fingerprint: ${fingerprint}`);
  out(
    config.trustedSigningKey
      ? `Pinned your signing key (${flags.trust as string}): this Viber runs only what your devices sign.`
      : 'No --trust given: this Viber trusts the server for what it runs (the app labels it so).',
  );
  out(
    `Check it against the fingerprint the app shows for this Viber. Then run: ${startCommand(config.server)}`,
  );
  out(`Once it runs, the app shows '${config.name}' online: map an environment to it there.`);
  return 0;
}

/** `packagedStart`: set when run from the served package, to check for a newer build. */
async function runStart(home: string, packagedStart?: (server: string) => string): Promise<number> {
  const [{ readConfig }, { keyFingerprint }, { startDaemon }, { claimHome }] = await Promise.all([
    import('./config.ts'),
    import('@openviber/shared/crypto'),
    import('./daemon.ts'),
    import('./pid-file.ts'),
  ]);
  const config = readConfig(home);
  // Signals are handled before the pid file exists, so no signal can end us with the file left behind.
  let stopRequested = false;
  const signalled = new Promise<number>((resolve) => {
    const onSignal = (signal: string) => {
      stamp(`${signal}: stopping`);
      stopRequested = true;
      resolve(0);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // Test harnesses hold our stdin open; when they die (even by SIGKILL) it closes and we stop too.
    if (process.env.OPENVIBER_EXIT_WITH_STDIN === '1') {
      process.stdin.once('end', () => onSignal('stdin closed'));
      process.stdin.resume();
    }
  });
  // Refuses a second daemon for this home; `viber status` reads the file to say whether one runs.
  const releasePidFile = await claimHome(home);
  try {
    stamp(`viber ${config.name} starting (key ${await keyFingerprint(config.publicKey)})`);
    if (packagedStart) {
      // In the background: a slow or absent server must not delay the start.
      void import('./package-build.ts')
        .then(({ packageUpdateNotice }) => packageUpdateNotice(config.server, packagedStart(config.server)))
        .then((notice) => notice && stamp(notice));
    }
    const timeout = Number(process.env.VIBER_TASK_TIMEOUT_MS) || undefined;
    const starting = startDaemon({ home, log: stamp, taskTimeoutMs: timeout });
    // A signal while still connecting ends at once: nothing has run yet.
    const first = await Promise.race([starting, signalled]);
    if (stopRequested || typeof first === 'number') return 0;
    const daemon = first;
    const code = await Promise.race([signalled, daemon.ended]);
    await daemon.stop();
    stamp('stopped');
    return code;
  } finally {
    releasePidFile();
  }
}
