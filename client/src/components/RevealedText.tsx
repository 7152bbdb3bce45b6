// Text a Viber will run, shown as it runs: every character that would hide or reorder what the
// user reads (bidi controls, zero-width characters, a carriage return) as a visible marker.
import { Fragment } from 'preact';
import { hasHidden, revealHidden } from '../lib/hidden-chars.ts';

export function RevealedText({ text }: { text: string }) {
  const { parts } = revealHidden(text);
  return (
    <>
      {parts.map((part, i) =>
        typeof part === 'string' ? (
          <Fragment key={i}>{part}</Fragment>
        ) : (
          <span
            key={i}
            class="hidden-char"
            title={`${part.code}: a character that is invisible or reorders text`}
          >
            {`⟨${part.code}⟩`}
          </span>
        ),
      )}
    </>
  );
}

/** Said before Approve when what it would sign holds any such character. */
export function HiddenCharsWarning({ texts }: { texts: string[] }) {
  if (!texts.some(hasHidden)) return null;
  return (
    <p class="callout warn" data-testid="hidden-chars">
      This holds invisible or direction-changing characters, shown as ⟨U+…⟩. Text elsewhere (a terminal, a
      review) may read differently from what runs: approve only if you expected them.
    </p>
  );
}
