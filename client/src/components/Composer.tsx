// The message box at the bottom of a task: Enter sends, Shift+Enter adds a line.
import { useSignal } from '@preact/signals';
import { MAX_MESSAGE_LENGTH } from '@openviber/shared';

export function Composer({
  onSend,
  disabled,
  placeholder,
  autoFocus,
}: {
  onSend: (text: string) => void;
  disabled: boolean;
  placeholder: string;
  autoFocus?: boolean;
}) {
  const text = useSignal('');
  const submit = (e?: Event) => {
    e?.preventDefault();
    const value = text.value.trim();
    if (!value || disabled) return;
    onSend(value);
    text.value = '';
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
          autoFocus={autoFocus}
          value={text.value}
          onInput={(e) => (text.value = e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <button class="btn primary" type="submit" disabled={disabled || !text.value.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}
