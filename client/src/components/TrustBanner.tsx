// One line above every view when something about signing needs the user: a recovery code to save,
// a device without the key, another device asking for it, content a pinned Viber waits to run, or
// content this device found changed outside the app.
import { useApp } from '../app-context.ts';
import { appApprovals, listApprovals } from '../models/approvals.ts';

export function TrustBanner() {
  const app = useApp();
  const s = app.signing;
  const waiting = listApprovals(app.vibers.views.value, appApprovals(s.review.value));
  const fromVibers = waiting.filter((a) => a.viberId);
  const unsigned = fromVibers.filter((a) => a.refusal.reason === 'unsigned').length;
  const refused = fromVibers.length - unsigned;
  // What this device found itself and no Viber refused yet (a Viber offline, or none mapped).
  const changed = waiting.length - fromVibers.length;
  const asking = s.state.value === 'ready' ? app.devices.pending.value.length : 0;
  let text = '';
  if (s.recoveryCode.value) text = 'Your signing key was created on this device. Save its recovery code now.';
  else if (s.state.value === 'needs-device')
    text = 'This device does not hold your signing key yet: what you do here waits for approval.';
  else if (asking) text = `A device is asking for your signing key.`;
  else if (unsigned || refused || changed)
    text = [
      unsigned ? `${unsigned} awaiting approval` : '',
      refused ? `${refused} refused by your Vibers` : '',
      changed ? `${changed} changed outside this app` : '',
    ]
      .filter(Boolean)
      .join(' · ');
  if (!text) return null;
  return (
    <div class="page page-banner">
      <div class={`callout ${refused && !unsigned ? 'err' : 'warn'} row`} data-testid="trust-banner">
        <span class="grow">{text}</span>
        <button class="btn small" onClick={() => app.router.go({ view: 'trust' })}>
          Review
        </button>
      </div>
    </div>
  );
}
