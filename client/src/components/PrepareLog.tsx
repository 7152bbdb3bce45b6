// The setup log of the latest prepare, streamed live from the Viber's sub-document.
import { useEffect, useRef } from 'preact/hooks';
import { useApp, useModel } from '../app-context.ts';
import { createPrepareLogModel } from '../models/prepare-log-model.ts';

export function PrepareLog({ viberId, bindingId }: { viberId: string; bindingId: string }) {
  const app = useApp();
  const model = useModel(
    () => createPrepareLogModel(app.store, app.userId, viberId, bindingId),
    [viberId, bindingId],
  );
  const log = model.log.value;
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log.lines.length]);
  return (
    <div style="margin-top:10px">
      <div class="hint" style="margin-bottom:4px">
        Setup log of the latest prepare
        {log.step ? ` · step: ${log.step}` : ''}
        {log.dropped ? ` · ${log.dropped} earlier lines dropped` : ''}
      </div>
      <pre class="log" ref={ref} data-testid="prepare-log">
        {log.lines.length ? log.lines.join('\n') : 'No output yet.'}
      </pre>
    </div>
  );
}
