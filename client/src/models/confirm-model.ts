// The in-app confirm dialog (instead of window.confirm) and the undo toast, as one small model.
import { signal } from '@preact/signals';

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  resolve: (ok: boolean) => void;
}

export interface UndoToast {
  id: number;
  text: string;
  undo: () => void;
}

/** `ask` opens the dialog and resolves with the answer; `offerUndo` shows a toast for a few seconds. */
export function createConfirmModel() {
  const request = signal<ConfirmRequest | null>(null);
  const toast = signal<UndoToast | null>(null);
  let nextToast = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    request,
    toast,
    ask(options: Omit<ConfirmRequest, 'resolve'>): Promise<boolean> {
      request.peek()?.resolve(false);
      return new Promise((resolve) => {
        request.value = {
          ...options,
          resolve: (ok) => {
            request.value = null;
            resolve(ok);
          },
        };
      });
    },
    offerUndo(text: string, undo: () => void, ms = 8_000): void {
      clearTimeout(timer);
      const id = nextToast++;
      toast.value = { id, text, undo };
      timer = setTimeout(() => {
        if (toast.peek()?.id === id) toast.value = null;
      }, ms);
    },
    dismissToast(): void {
      toast.value = null;
    },
  };
}

export type ConfirmModel = ReturnType<typeof createConfirmModel>;
