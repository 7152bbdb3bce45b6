// The in-app confirm: a modal <dialog> (focus kept inside, Escape and a click outside cancel).
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from '../app-context.ts';

export function ConfirmDialog() {
  const { confirm } = useApp();
  const request = confirm.request.value;
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (request && dialog && !dialog.open) dialog.showModal();
  }, [request]);
  if (!request) return null;
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(e) => {
        e.preventDefault();
        request.resolve(false);
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) request.resolve(false);
      }}
    >
      <h2 id="confirm-title">{request.title}</h2>
      <p id="confirm-body">{request.body}</p>
      <div class="row dialog-actions">
        <button class="btn" autoFocus onClick={() => request.resolve(false)}>
          Cancel
        </button>
        <button
          class={`btn ${request.danger ? 'danger-solid' : 'primary'}`}
          onClick={() => request.resolve(true)}
          data-testid="confirm-ok"
        >
          {request.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
