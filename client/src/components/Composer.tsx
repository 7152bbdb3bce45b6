// The message box at the bottom of a task: Enter sends, Shift+Enter adds a line. Its unsent text is a
// local draft (per task, and one for New Task), so leaving the view or reloading does not lose it.
import { useEffect, useRef } from 'preact/hooks';
import { MAX_MESSAGE_LENGTH } from '@openviber/shared';
import { useApp, useModel } from '../app-context.ts';
import { createComposerDraft } from '../models/composer-draft.ts';

export function Composer({
  onSend,
  draftId,
  disabled,
  placeholder,
  autoFocus,
}: {
  onSend: (text: string) => void;
  /** Where the unsent text is kept (composerDraftId). */
  draftId: string;
  disabled: boolean;
  placeholder: string;
  autoFocus?: boolean;
}) {
  const app = useApp();
  const draft = useModel(() => createComposerDraft(app.drafts, draftId), [draftId]);
  const text = draft.text;
  const input = useRef<HTMLTextAreaElement>(null);
  // autoFocus as an attribute only works on page load: focus it when the view opens.
  useEffect(() => {
    if (autoFocus) input.current?.focus({ preventScroll: true });
  }, []);
  const submit = (e?: Event) => {
    e?.preventDefault();
    const value = text.value.trim();
    if (!value || disabled) return;
    onSend(value);
    draft.clear();
  };
  return (
    <div class="composer">
      <form onSubmit={submit}>
        <textarea
          aria-label="Message"
          placeholder={disabled ? 'Unarchive the task to send messages' : placeholder}
          disabled={disabled}
          maxLength={MAX_MESSAGE_LENGTH}
          rows={1}
          ref={input}
          value={text.value}
          onInput={(e) => (text.value = e.currentTarget.value)}
          onKeyDown={(e) => {
            // A touch keyboard has no Shift+Enter: there Enter is a new line and Send sends (a
            // multi-line command or agent prompt could otherwise only be pasted).
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !touchOnly()) submit(e);
          }}
        />
        <button class="btn primary" type="submit" disabled={disabled || !text.value.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}

/** A device whose only pointer is a finger (a phone, a tablet without a keyboard). */
const touchOnly = () =>
  typeof matchMedia === 'function' &&
  matchMedia('(pointer: coarse)').matches &&
  !matchMedia('(any-pointer: fine)').matches;
