// "Task archived · Undo": the toast after an action that is easy to regret.
import { useApp } from '../app-context.ts';

export function UndoToast() {
  const { confirm } = useApp();
  const toast = confirm.toast.value;
  if (!toast) return null;
  return (
    <div class="toast" role="status" data-testid="undo-toast">
      <span class="grow">{toast.text}</span>
      <button
        class="btn primary"
        onClick={() => {
          toast.undo();
          confirm.dismissToast();
        }}
      >
        Undo
      </button>
      <button class="btn ghost" aria-label="Dismiss" onClick={confirm.dismissToast}>
        ✕
      </button>
    </div>
  );
}
