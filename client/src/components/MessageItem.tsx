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
      <MessageText text={message.text} />
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

/** A message over this many lines (or MESSAGE_CLAMP_CHARS characters) shows its start until asked for all. */
export const MESSAGE_CLAMP_LINES = 12;
export const MESSAGE_CLAMP_CHARS = 1_500;

/**
 * The message as it runs. A long one (a pasted log or spec for an agent: up to 64 K characters) is
 * cut to its first lines, so the conversation around it stays readable; "Show all" opens it in place.
 */
function MessageText({ text }: { text: string }) {
  const expanded = useSignal(false);
  const lines = text.split('\n').length;
  const long = lines > MESSAGE_CLAMP_LINES || text.length > MESSAGE_CLAMP_CHARS;
  return (
    <>
      <div class={`msg-text${long && !expanded.value ? ' clamped' : ''}`} data-testid="message-text">
        <RevealedText text={text} />
      </div>
      {long && (
        <button
          type="button"
          class="btn ghost small msg-more"
          aria-expanded={expanded.value}
          onClick={() => (expanded.value = !expanded.value)}
          data-testid="message-more"
        >
          {expanded.value
            ? 'Show less'
            : `Show all (${lines === 1 ? `${Math.ceil(text.length / 1024)} KB` : `${lines} lines`})`}
        </button>
      )}
    </>
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
