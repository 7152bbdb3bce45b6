// The one status badge: environment pills, binding status, run state, Viber and sync state.
import { statusLook, type ShownStatus } from '../lib/status-label.ts';

export function StatusPill({
  status,
  label,
  title,
  run,
}: {
  status: ShownStatus;
  label?: string;
  title?: string;
  run?: boolean;
}) {
  const key = status.toLowerCase();
  const look = statusLook(status, run ? 'run' : 'other');
  // The tone is an attribute, not a class: a state named like a layout class (progress) cannot restyle it.
  return (
    <span class="pill" data-tone={look.tone} title={title} data-status={key}>
      {label ?? look.label}
    </span>
  );
}
