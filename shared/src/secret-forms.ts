// Every form in which a secret can reach output: the encodings common tools produce ([X7]). Each
// form is written out exactly as the tool writes it; line-wrapped output is the matcher's job
// (redact.ts skips a line break inside a match).
import { MIN_SECRET_LENGTH } from './limits.ts';

const utf8 = new TextEncoder();

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * The base64 characters that depend only on the secret's bytes, at each of the three alignments
 * (the secret may sit anywhere in a larger encoded payload), standard and URL-safe.
 */
function base64Forms(value: string): string[] {
  const bytes = utf8.encode(value);
  const out = [toBase64(bytes), toBase64(utf8.encode(value + '\n'))];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    const encoded = toBase64(padded);
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor((shift + bytes.length) / 3) * 4;
    if (end > start) out.push(encoded.slice(start, end));
  }
  return out.flatMap((b) => [b, b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]);
}

const hexOf = (value: string) => Array.from(utf8.encode(value), hex2).join('');

/** Maps each character (code point) through `escape`; undefined keeps it. */
const mapChars = (value: string, escape: (ch: string, code: number) => string | undefined) =>
  Array.from(value, (ch) => escape(ch, ch.codePointAt(0)!) ?? ch).join('');

/** C0, DEL and C1: what bash, Node and Python escape rather than print. */
const isControl = (code: number) => code < 0x20 || (code >= 0x7f && code <= 0x9f);

const JSON_NAMED: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Python's json.dumps (ensure_ascii=True): everything outside printable ASCII as \uXXXX (UTF-16). */
function jsonAscii(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const code = value.charCodeAt(i);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (JSON_NAMED[ch]) out += JSON_NAMED[ch];
    else if (code < 0x20 || code >= 0x7f) out += '\\u' + hex4(code);
    else out += ch;
  }
  return out;
}

/** Python's urllib.parse.quote: like encodeURIComponent, but also escapes !*'() and keeps `safe`. */
function pythonQuote(value: string, plus: boolean): string {
  let out = encodeURIComponent(value).replace(/[!*'()]/g, (c) => '%' + hex2(c.charCodeAt(0)).toUpperCase());
  if (plus) out = out.replace(/%20/g, '+');
  else out = out.replace(/%2F/g, '/');
  return out;
}

/** What bash's `printf %q` backslash-escapes (non-ASCII is left alone in a UTF-8 locale). */
const BASH_BACKSLASHED = /[ \t\n'"\\|&;()<>!{}*[\]?^$`,]/;

/** bash's $'…' quoting (printf %q and declare -p of values with control characters). */
const ANSI_C_NAMED: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\x1b': '\\E',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  "'": "\\'",
  '\\': '\\\\',
};
const octal = (s: string) =>
  Array.from(utf8.encode(s), (b) => '\\' + b.toString(8).padStart(3, '0')).join('');
/** `octalNonAscii`: as in the C locale, where bash writes every non-ASCII byte as \NNN. */
const ansiC = (value: string, octalNonAscii: boolean) =>
  mapChars(
    value,
    (ch, code) =>
      ANSI_C_NAMED[ch] ?? (isControl(code) || (octalNonAscii && code > 0x7f) ? octal(ch) : undefined),
  );

/** C-style escapes as Node's util.inspect (\x7F) and Python's repr (\x7f) write them in errors. */
const C_NAMED: Record<string, string> = { ...JSON_NAMED, '\v': '\\v', '\\': '\\\\' };
const cEscape = (value: string, upper: boolean, quote: string) =>
  mapChars(value, (ch, code) => {
    if (ch === quote) return '\\' + ch;
    if (C_NAMED[ch]) return C_NAMED[ch];
    if (!isControl(code)) return undefined;
    const h = hex2(code);
    return '\\x' + (upper ? h.toUpperCase() : h);
  });

/** The text forms of one value: everything an escaper writes, character by character. */
function textForms(v: string): string[] {
  return [
    v,
    JSON.stringify(v).slice(1, -1),
    jsonAscii(v),
    encodeURIComponent(v),
    encodeURIComponent(v).replace(/%20/g, '+'),
    pythonQuote(v, false),
    pythonQuote(v, true),
    v.replace(/'/g, `'\\''`),
    mapChars(v, (ch) => (BASH_BACKSLASHED.test(ch) ? '\\' + ch : undefined)),
    v.replace(/([^A-Za-z0-9_\-.,:/@%+=])/g, '\\$1'),
    v.replace(/[\\"$`]/g, '\\$&'), // declare -p, and any "…" shell string
    ansiC(v, false),
    ansiC(v, true),
    cEscape(v, true, "'"),
    cEscape(v, true, '"'),
    cEscape(v, true, '`'),
    cEscape(v, false, "'"),
    cEscape(v, false, '"'),
  ];
}

/** The byte encodings of one value: hex (xxd -p, and -u) and base64. */
function byteForms(v: string): string[] {
  const hex = hexOf(v);
  // A short base64 fragment would match ordinary words.
  return [hex, hex.toUpperCase(), ...base64Forms(v).filter((b) => b.length >= MIN_SECRET_LENGTH)];
}

/** Every form of a secret that must never appear in output. */
export function secretVariants(value: string): string[] {
  const forms = new Set<string>();
  const lines = value.split(/\r?\n/).filter((l) => l.trim().length >= MIN_SECRET_LENGTH);
  for (const v of [value, ...(lines.length > 1 ? lines : [])]) {
    for (const f of textForms(v)) forms.add(f);
    for (const f of byteForms(v)) forms.add(f);
  }
  const minLength = Math.min(MIN_SECRET_LENGTH, value.length);
  return [...forms].filter((f) => f.length >= minLength && f.length > 0);
}
