// A small offline sanity check of a bash script: unbalanced quotes, brackets and block keywords.
// Not a full parser; it catches the mistakes that make a setup script fail before it runs anything.

export interface ScriptIssue {
  line: number;
  message: string;
}

const OPENERS: Record<string, string> = { if: 'fi', case: 'esac', do: 'done', '{': '}', '(': ')' };
const CLOSERS: Record<string, string> = { fi: 'if', esac: 'case', done: 'do', '}': '{', ')': '(' };

/** Returns the first problems found, each with its 1-based line; empty when the script looks well-formed. */
export function checkBashSyntax(script: string): ScriptIssue[] {
  const issues: ScriptIssue[] = [];
  const stack: { word: string; line: number }[] = [];
  let quote: { ch: string; line: number } | null = null;
  let heredoc: string | null = null;
  let caseDepth = 0;
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineNo = i + 1;
    if (heredoc !== null) {
      if (raw.replace(/^\t+/, '') === heredoc) heredoc = null;
      continue;
    }
    let word = '';
    const flush = () => {
      if (!word) return;
      const w = word;
      word = '';
      if (w === 'case') caseDepth++;
      if (w === 'esac') caseDepth = Math.max(0, caseDepth - 1);
      if (w in OPENERS && w !== '(' && w !== '{') stack.push({ word: w, line: lineNo });
      else if (w in CLOSERS && w !== ')' && w !== '}') close(w);
    };
    const close = (w: string) => {
      const top = stack[stack.length - 1];
      if (!top || top.word !== CLOSERS[w]) {
        issues.push({
          line: lineNo,
          message: top
            ? `'${w}' closes '${top.word}' opened on line ${top.line}`
            : `'${w}' without a matching '${CLOSERS[w]}'`,
        });
      } else stack.pop();
    };
    for (let j = 0; j < raw.length; j++) {
      const ch = raw[j];
      if (quote) {
        if (ch === '\\' && quote.ch === '"') j++;
        else if (ch === quote.ch) quote = null;
        continue;
      }
      if (ch === '\\') {
        j++;
        continue;
      }
      if (ch === '#' && word === '' && (j === 0 || /\s/.test(raw[j - 1]))) break;
      if (ch === "'" || ch === '"' || ch === '`') {
        quote = { ch, line: lineNo };
        continue;
      }
      const here = /^<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/.exec(raw.slice(j));
      if (here) {
        heredoc = here[1];
        j += here[0].length - 1;
        continue;
      }
      if (/\s|;|&|\|/.test(ch)) {
        flush();
        continue;
      }
      if (ch === '(' || ch === '{') {
        flush();
        if (ch === '{' && raw[j - 1] === '$') {
          // ${VAR}: a parameter expansion, closed on the same word.
          const end = raw.indexOf('}', j);
          if (end === -1) issues.push({ line: lineNo, message: "'${' without a closing '}'" });
          j = end === -1 ? raw.length : end;
          continue;
        }
        stack.push({ word: ch, line: lineNo });
        continue;
      }
      if (ch === ')' || ch === '}') {
        flush();
        // `pattern)` inside a case is a pattern, not a closing parenthesis.
        if (ch === ')' && caseDepth > 0 && stack[stack.length - 1]?.word !== '(') continue;
        close(ch);
        continue;
      }
      word += ch;
    }
    flush();
  }
  if (quote)
    issues.push({
      line: quote.line,
      message: `unterminated ${quote.ch === '"' ? 'double quote' : quote.ch === "'" ? 'single quote' : 'backtick'}`,
    });
  if (heredoc !== null)
    issues.push({ line: lines.length, message: `here-document is never closed by '${heredoc}'` });
  for (const open of stack.reverse())
    issues.push({ line: open.line, message: `'${open.word}' is never closed by '${OPENERS[open.word]}'` });
  return issues.slice(0, 5);
}
