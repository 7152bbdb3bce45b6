// A shell command shown in full: it wraps between arguments only; an argument longer than a whole
// line (a token on a phone) breaks at a group or URL boundary first, anywhere only as a last resort.
import { Fragment } from 'preact';
import { argPieces, commandArgs } from '../lib/command-args.ts';

export function CommandText({ command, testId }: { command: string; testId?: string }) {
  return (
    <code class="command" data-testid={testId}>
      {commandArgs(command).map((arg, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <span class="arg">
            {argPieces(arg).map((piece, j) => (
              <Fragment key={j}>
                {j > 0 && <wbr />}
                {piece}
              </Fragment>
            ))}
          </span>
        </Fragment>
      ))}
    </code>
  );
}
