// The patch drawn by diff2html (a kept library that turns a unified diff into escaped HTML, no
// framework of its own). Loaded with import() the first time a task has changes: the initial bundle
// stays small and the service worker precaches the chunk for offline use.
import { useSignal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import { html, parse, type Diff2HtmlConfig } from 'diff2html';
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

export function DiffView({ patch, layout, theme }: { patch: string; layout: DiffLayout; theme: string }) {
  const systemDark = useSystemDark();
  const files = useMemo(() => parse(patch), [patch]);
  const markup = useMemo(
    () =>
      html(files, {
        outputFormat: layout === 'split' ? 'side-by-side' : 'line-by-line',
        drawFileList: false,
        // Word-level matching is quadratic in a block's lines; a 1 MB patch must still draw quickly.
        matching: 'none',
        colorScheme: colorScheme(),
      }),
    // `theme` and the system's setting are read by colorScheme(); listed so a change redraws.
    [files, layout, theme, systemDark],
  );
  // diff2html escapes every line and file name it writes (render-utils escapeForHtml, Hogan's {{ }}).
  return (
    <div
      class="diff-view"
      data-testid="diff-view"
      data-own-scroll
      dangerouslySetInnerHTML={{ __html: markup }}
    />
  );
}

export default DiffView;
