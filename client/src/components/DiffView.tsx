// The patch drawn by diff2html (a kept library that turns a unified diff into escaped HTML, no
// framework of its own). Loaded with import() the first time a task has changes: the initial bundle
// stays small and the service worker precaches the chunk for offline use.
import { useSignal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import { html, parse, type Diff2HtmlConfig } from 'diff2html';
import type { DiffFile } from 'diff2html/lib/types.js';
import 'diff2html/bundles/css/diff2html.min.css';
import './diff-view.css';

export type DiffLayout = 'unified' | 'split';

const SYSTEM_DARK = '(prefers-color-scheme: dark)';

/** The theme the app shows (its own choice, else the system's): diff2html's `auto` only follows the system. */
function colorScheme(): Diff2HtmlConfig['colorScheme'] {
  const chosen = document.documentElement.dataset.theme;
  const dark = chosen ? chosen === 'dark' : matchMedia(SYSTEM_DARK).matches;
  // ColorSchemeType is a string enum ('dark' | 'light') diff2html does not export from its entry.
  return (dark ? 'dark' : 'light') as Diff2HtmlConfig['colorScheme'];
}

/** Follows the system's dark setting (the app's theme `system` does too, through CSS). */
function useSystemDark(): boolean {
  const dark = useSignal(matchMedia(SYSTEM_DARK).matches);
  useEffect(() => {
    const query = matchMedia(SYSTEM_DARK);
    const onChange = () => (dark.value = query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark.value;
}

/**
 * Diff lines drawn without asking: diff2html writes ~350 bytes of HTML per line, and a 1 MB patch
 * (30,000 lines) took 22 s to draw in Chromium on a busy 2-core machine. Files past the budget are
 * listed with a Draw button.
 */
export const DIFF_DRAW_LINES = 3_000;

type Part =
  | { kind: 'drawn'; name: string; markup: string }
  | { kind: 'skipped'; name: string; lines: number }
  | { kind: 'not-kept'; name: string };

const fileName = (f: DiffFile) => (f.newName === '/dev/null' ? f.oldName : f.newName);

export function DiffView({
  patch,
  layout,
  theme,
  notKept,
}: {
  patch: string;
  layout: DiffLayout;
  theme: string;
  /** Files whose diff the Viber did not keep (too large, or past its budget): diff2html would call them "without changes". */
  notKept: ReadonlySet<string>;
}) {
  const systemDark = useSystemDark();
  const files = useMemo(() => parse(patch), [patch]);
  /** Files the reader asked to draw past the budget, by name (a new patch keeps the choice). */
  const asked = useSignal<ReadonlySet<string>>(new Set());
  const parts = useMemo((): Part[] => {
    const options: Diff2HtmlConfig = {
      outputFormat: layout === 'split' ? 'side-by-side' : 'line-by-line',
      drawFileList: false,
      // Word-level matching is quadratic in a block's lines.
      matching: 'none',
      colorScheme: colorScheme(),
    };
    let budget = DIFF_DRAW_LINES;
    return files.map((file): Part => {
      const name = fileName(file);
      const lines = file.blocks.reduce((n, b) => n + b.lines.length, 0);
      if (lines === 0 && notKept.has(name)) return { kind: 'not-kept', name };
      const wanted = asked.value.has(name);
      if (!wanted && lines > budget) return { kind: 'skipped', name, lines };
      if (!wanted) budget -= lines;
      return { kind: 'drawn', name, markup: html([file], options) };
    });
    // `theme` and the system's setting are read by colorScheme(); listed so a change redraws.
  }, [files, layout, theme, systemDark, asked.value, notKept]);
  // diff2html escapes every line and file name it writes (render-utils escapeForHtml, Hogan's {{ }}).
  return (
    <div class="diff-view" data-testid="diff-view" data-own-scroll>
      {parts.map((part, i) =>
        part.kind === 'drawn' ? (
          <div
            key={`${i}:${part.name}`}
            class="diff-file"
            dangerouslySetInnerHTML={{ __html: part.markup }}
          />
        ) : part.kind === 'not-kept' ? (
          <div key={`${i}:${part.name}`} class="diff-file diff-skipped" data-testid="diff-not-kept">
            <span class="mono grow">{part.name}</span>
            <span class="hint">diff not kept</span>
          </div>
        ) : (
          <div key={`${i}:${part.name}`} class="diff-file diff-skipped" data-testid="diff-skipped">
            <span class="mono grow">{part.name}</span>
            <span class="hint">{part.lines.toLocaleString('en')} lines not drawn</span>
            <button
              class="btn small"
              type="button"
              onClick={() => (asked.value = new Set([...asked.value, part.name]))}
            >
              Draw
            </button>
          </div>
        ),
      )}
    </div>
  );
}

export default DiffView;
