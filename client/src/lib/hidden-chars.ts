// Characters that make text read differently from what runs: bidirectional controls reorder what
// follows them (`: ⁧; curl …|sh #⁩` reads as a comment and runs curl), zero-width and other
// invisible characters hide, controls (a carriage return) overwrite. Wherever the app shows what a
// Viber will run — a message, a script, a variable — they are shown as visible markers instead,
// and Approve says they are there (SPEC [T5]: the app signs exactly what it shows).

/** Bidi controls, zero-width and invisible formatting, C0 controls but tab and newline, DEL and C1, separators, tags. */
/* eslint-disable no-control-regex -- finding control characters is the point */
const HIDDEN =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F]/g;
/* eslint-enable no-control-regex */

export type Revealed = (string | { code: string })[];

/** `text` as plain runs and the hidden characters in it (their code points, `U+202E`). */
export function revealHidden(text: string): { parts: Revealed; hidden: number } {
  const parts: Revealed = [];
  let at = 0;
  let hidden = 0;
  for (const match of text.matchAll(HIDDEN)) {
    if (match.index > at) parts.push(text.slice(at, match.index));
    const point = match[0].codePointAt(0)!;
    parts.push({ code: `U+${point.toString(16).toUpperCase().padStart(4, '0')}` });
    hidden++;
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return { parts, hidden };
}

/** True when `text` holds any character `revealHidden` would mark. */
export const hasHidden = (text: string) => revealHidden(text).hidden > 0;
