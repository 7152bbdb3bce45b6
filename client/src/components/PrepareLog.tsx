// The setup log of the latest prepare, streamed live from the Viber's sub-document.
import { useEffect, useRef } from 'preact/hooks';
import type { BindingStatus } from '@openviber/shared';
import { useApp, useModel } from '../app-context.ts';
import { prepareStepPhrase, prepareStepWords } from '../lib/prepare-step-words.ts';
import { createPrepareLogModel } from '../models/prepare-log-model.ts';
import { terminalText } from '../lib/terminal-text.ts';

export function PrepareLog({
  viberId,
  bindingId,
  status,
}: {
  viberId: string;
  bindingId: string;
  /** The mapping's status: the step is named while it prepares or after it failed. */
  status: BindingStatus;
}) {
  const app = useApp();
  const model = useModel(
    () => createPrepareLogModel(app.store, app.userId, viberId, bindingId),
    [viberId, bindingId],
  );
  const log = model.log.value;
  // Which step ran last matters only while preparing or after a failure (a finished log ends at health).
  const step = prepareStepWords(log.step) ? log.step : '';
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log.lines.length]);
  return (
    <div class="prepare-log">
      <div class="hint prepare-log-head" data-testid="prepare-log-head">
        Setup log of the latest prepare
        {status === 'preparing' && step ? ` · now ${prepareStepPhrase(step)}` : ''}
        {status === 'error' && step ? ` · failed while ${prepareStepPhrase(step)}` : ''}
        {log.dropped ? ` · ${log.dropped} earlier lines not kept` : ''}
      </div>
      <pre class="log" ref={ref} data-testid="prepare-log">
        {log.lines.length ? terminalText(log.lines.join('\n')) : 'No output yet.'}
      </pre>
    </div>
  );
}
