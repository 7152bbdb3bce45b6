// One message with its run: state, exit code, duration, live (already redacted) output, and cancel.
import { isFinalRunState } from '@openviber/shared';
import { duration, relativeTime } from '../lib/format.ts';
import type { MessageView } from '../models/task-model.ts';
import { StatusPill } from './StatusPill.tsx';

export function MessageItem({ view, onCancel }: { view: MessageView; onCancel: () => void }) {
  const { message, run, cancelRequested } = view;
  const running = run ? !isFinalRunState(run.state) : false;
  const end = run?.endedAt || (running ? Date.now() : 0);
  return (
    <article class="msg" data-testid="message">
      <div class="msg-head">
        <span class="hint">{relativeTime(message.createdAt)}</span>
        <span class="grow" />
        {run ? (
          <StatusPill status={run.state} run />
        ) : (
          <StatusPill status="pending" label={cancelRequested ? 'Cancelled before start' : 'Queued'} />
        )}
        {(running || !run) && !cancelRequested && (
          <button class="btn ghost small danger" onClick={onCancel} data-testid="cancel">
            Cancel
          </button>
        )}
        {cancelRequested && running && <span class="hint">Cancelling…</span>}
      </div>
      <div class="msg-text">{message.text}</div>
      {run && (
        <>
          <div class="msg-run">
            <span>exit code {run.exitCode ?? '—'}</span>
            {run.startedAt > 0 && <span>duration {duration(end - run.startedAt)}</span>}
            {run.droppedChars > 0 && (
              <span>{run.droppedChars.toLocaleString()} earlier characters dropped</span>
            )}
            {run.error && <span style="color:var(--err)">{run.error}</span>}
          </div>
          {(run.output || running) && (
            <pre class="output" data-testid="run-output">
              {run.output || '…'}
            </pre>
          )}
        </>
      )}
    </article>
  );
}
