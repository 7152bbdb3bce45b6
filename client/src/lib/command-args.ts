// A shell command cut into its arguments for display, so it wraps between arguments, never inside one.

/** The arguments of `command`, split at spaces outside quotes; each keeps its quotes as typed. */
export function commandArgs(command: string): string[] {
  const args: string[] = [];
  let current = '';
  let quote = '';
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ' ') {
      if (current) args.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current) args.push(current);
  return args;
}

/**
 * Where an argument too long for a whole line may break, as a last resort: after a `/` of a URL
 * (not inside `//`) and after the `:` between groups of a fingerprint or a port.
 */
export function argPieces(arg: string): string[] {
  return arg.split(/(?<=[/:])(?![/])/);
}
