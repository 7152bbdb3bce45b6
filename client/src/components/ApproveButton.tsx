// Approve: signs with this device's key; on a device without it, says so instead.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';

export function ApproveButton({
  label,
  onApprove,
  testId = 'approve',
}: {
  label: string;
  onApprove: () => Promise<unknown>;
  testId?: string;
}) {
  const app = useApp();
  const busy = useSignal(false);
  if (!app.signing.canSign.value)
    return <p class="hint">This device does not hold your signing key, so it cannot approve.</p>;
  return (
    <button
      class="btn primary small"
      disabled={busy.value}
      data-testid={testId}
      onClick={() => {
        busy.value = true;
        void onApprove().finally(() => (busy.value = false));
      }}
    >
      {label}
    </button>
  );
}
