// One message with its run: state, exit code, duration, live (already redacted) output, and cancel.
// Memoised: a message re-renders only when its own view object changes (see task-model's sameView).
import { Component } from 'preact';
import { useEffect } from 'preact/hooks';
import { useSignal } from '@preact/signals';
import { isFinalRunState, type Refusal } from '@openviber/shared';
import { duration, relativeTime } from '../lib/format.ts';
import { fromLineStart, useFollowEnd } from '../lib/follow-end.ts';
import { terminalText } from '../lib/terminal-text.ts';
import type { MessageView } from '../models/task-model.ts';
import { RevealedText } from './RevealedText.tsx';
import { StatusPill } from './StatusPill.tsx';

function MessageItemView({ view, onCancel, refusal }: Props) {
  const { message, run, cancelRequested } = view;
  const running = run ? !isFinalRunState(run.state) : false;
  const end = run?.endedAt || (running ? Date.now() : 0);
  const output = run ? terminalText(fromLineStart(run.output, run.droppedChars > 0)) : '';
  const outputRef = useFollowEnd<HTMLPreElement>(output.length);
  return (
    <article class="msg" data-testid="message">
      <div class="msg-head">
        <span class="hint">{relativeTime(message.createdAt)}</span>
        <span class="grow" />
        {run ? (
          <StatusPill status={run.state} run />
        ) : (
          <StatusPill
            status="queued"
            label={
              cancelRequested
                ? 'Cancelled before start'
                : refusal?.reason === 'unsigned'
                  ? 'Awaiting approval'
                  : 'Queued'
            }
          />
        )}
        {(running || !run) && !cancelRequested && (
          <button class="btn ghost small danger" onClick={() => onCancel([message.id])} data-testid="cancel">
            Cancel
          </button>
        )}
        {cancelRequested && running && <span class="hint">Cancelling…</span>}
      </div>
      <div class="msg-text">
        <RevealedText text={message.text} />
      </div>
      {refusal && !run && (
        <p
          class={`msg-note ${refusal.reason === 'unsigned' ? 'hint' : 'field-error'}`}
          data-testid="message-refusal"
        >
          {refusal.reason === 'unsigned'
            ? 'Awaiting approval: your Viber runs only what you sign.'
            : `Refused by your Viber: ${refusal.reason}.`}{' '}
          <a href="#/trust">Review</a>
        </p>
      )}
      {run && (
        <>
          <div class="msg-run">
            <span>exit code {run.exitCode ?? '—'}</span>
            {run.startedAt > 0 &&
              (running ? (
                <Elapsed since={run.startedAt} />
              ) : (
                <span>duration {duration(end - run.startedAt)}</span>
              ))}
            {run.droppedChars > 0 && <span>earlier output was trimmed; showing the latest lines</span>}
            {run.error && <span class="error-text">{run.error}</span>}
          </div>
          {(output || running) && (
            <pre class="output" data-testid="run-output" ref={outputRef} tabIndex={0} aria-label="Output">
              {output || '…'}
            </pre>
          )}
        </>
      )}
    </article>
  );
}

/** A running command's duration, counting every second: a silent command's run does not re-render. */
function Elapsed({ since }: { since: number }) {
  const now = useSignal(Date.now());
  useEffect(() => {
    const timer = setInterval(() => (now.value = Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return <span>running for {duration(Math.max(0, now.value - since))}</span>;
}

type Props = { view: MessageView; onCancel: (ids: string[]) => void; refusal?: Refusal };

/** Re-renders only when its message's view object changes (preact/compat's memo, without compat's weight). */
export class MessageItem extends Component<Props> {
  override shouldComponentUpdate(next: Props): boolean {
    return (
      next.view !== this.props.view ||
      next.onCancel !== this.props.onCancel ||
      next.refusal?.reason !== this.props.refusal?.reason
    );
  }
  override render() {
    return <MessageItemView {...this.props} />;
  }
}
