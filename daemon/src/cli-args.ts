// Flag parsing for every command: strict, so an unknown or malformed flag is a clear error.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ViberError } from './viber-error.ts';

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: ParseArgsOptionsConfig & { help?: { type: 'boolean' } };
  /** One line per option for --help. */
  optionHelp: string[];
}

/** Parses `argv` for `spec`; throws a ViberError (code bad_flag) naming the problem. */
export function parseCommandArgs(
  spec: CommandSpec,
  argv: string[],
): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new ViberError('bad_flag', `${detail}\nRun \`viber ${spec.name} --help\` for usage.`, { cause });
  }
}

export function helpText(spec: CommandSpec): string {
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...spec.optionHelp.map((l) => `  ${l}`),
    '  -h, --help          show this help',
  ].join('\n');
}
