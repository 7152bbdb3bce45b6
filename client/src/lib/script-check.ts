// The setup-script check: bash parsed by mvdan/sh (sh-syntax, WebAssembly), loaded on first use so
// the initial bundle stays small; the service worker precaches the .wasm, so it works offline.

export interface ScriptIssue {
  line: number;
  column: number;
  message: string;
}

/** What sh-syntax's parse does: resolves for valid bash, rejects with a ParseError otherwise. */
export type ShParse = (text: string, options?: { variant?: number }) => Promise<unknown>;

interface ShParseError {
  Text?: unknown;
  Pos?: { Line?: unknown; Col?: unknown };
}

/** mvdan/sh's words, made plain: backticks become quotes, EOF is "the end of the script". */
function plainWords(text: string): string {
  return text.replace(/`([^`]*)`/g, '‘$1’').replace(/\bEOF\b/g, 'the end of the script');
}

/** Parses `script` as bash with `parse`; an empty list means bash would accept its syntax. */
export async function scriptIssues(parse: ShParse, script: string): Promise<ScriptIssue[]> {
  try {
    await parse(script, { variant: 0 /* LangBash */ });
    return [];
  } catch (error) {
    const e = error as ShParseError;
    if (typeof e?.Text !== 'string') throw error;
    const line = typeof e.Pos?.Line === 'number' ? e.Pos.Line : 1;
    const column = typeof e.Pos?.Col === 'number' ? e.Pos.Col : 1;
    return [{ line, column, message: plainWords(e.Text) }];
  }
}

let browserParse: Promise<ShParse> | null = null;

/** The browser's parser: sh-syntax and its .wasm fetched once, on the first check. */
function loadBrowserParse(): Promise<ShParse> {
  // Go's WebAssembly runtime (defines globalThis.Go) first: the package marks it side-effect free by
  // mistake, so it is imported on its own and evaluated before the processor runs.
  // Bundled, the runtime sees the bundler's require shim and copies it to window.require: removed
  // again afterwards, so no other code mistakes the page for Node.
  const hadRequire = 'require' in globalThis;
  browserParse ??= import('sh-syntax/vendors/wasm_exec.cjs')
    .then(() => {
      if (!hadRequire) delete (globalThis as { require?: unknown }).require;
      return Promise.all([import('sh-syntax'), import('sh-syntax/main.wasm?url')]);
    })
    .then(([sh, wasm]) => {
      const processor = sh.getProcessor(() => fetch(wasm.default));
      return (text: string, options?: { variant?: number }) => processor(text, options);
    });
  browserParse.catch(() => (browserParse = null));
  return browserParse;
}

/** Checks `script` in the browser. */
export async function checkScript(script: string): Promise<ScriptIssue[]> {
  return scriptIssues(await loadBrowserParse(), script);
}
