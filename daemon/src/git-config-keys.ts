// The keys a git config file sets, read the way git reads them (sections, `[section "sub"]`,
// quoted values, `\` escapes and line continuations, `#`/`;` comments outside quotes), so the daemon
// can refuse a repository whose config would make git run a command without spawning git to ask.
// It errs on the side of finding a key: anything it cannot place is reported under its best guess.

/** Every `section[.subsection].name` the text sets (section and name lower-cased, as git compares them). */
export function gitConfigKeys(text: string): string[] {
  const keys: string[] = [];
  let section = '';
  let i = 0;
  const n = text.length;
  const skipBlank = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const skipLine = () => {
    while (i < n && text[i] !== '\n') i++;
  };
  while (i < n) {
    skipBlank();
    if (i >= n) break;
    const c = text[i];
    if (c === '\n') {
      i++;
      continue;
    }
    if (c === '#' || c === ';') {
      skipLine();
      continue;
    }
    if (c === '[') {
      const end = text.indexOf(']', i);
      const header = (end < 0 ? text.slice(i + 1) : text.slice(i + 1, end)).trim();
      const m = /^([^\s"]+)\s*(?:"((?:[^"\\]|\\.)*)")?/.exec(header);
      section = m
        ? m[2] !== undefined
          ? `${m[1].toLowerCase()}.${m[2].replace(/\\(.)/g, '$1')}`
          : m[1].toLowerCase()
        : header.toLowerCase();
      i = end < 0 ? n : end + 1;
      continue; // a key may follow on the same line
    }
    // A key: its name, then (maybe) `= value` to the end of the value.
    const name = /^[A-Za-z][A-Za-z0-9-]*/.exec(text.slice(i, i + 256))?.[0];
    if (!name) {
      skipLine();
      continue;
    }
    keys.push(`${section}.${name.toLowerCase()}`);
    i += name.length;
    // The value: quotes toggle, `\` escapes the next character (a newline: the value goes on), a
    // comment character outside quotes ends it, a newline ends it.
    let quoted = false;
    while (i < n) {
      const ch = text[i];
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === '\n') break;
      if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === '#' || ch === ';')) {
        skipLine();
        break;
      }
      i++;
    }
  }
  return keys;
}
