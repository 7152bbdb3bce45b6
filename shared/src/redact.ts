// Redacts secrets from a stream of output: every form of each value (secret-forms.ts), also when a
// tool wraps it over several lines, and matches split across chunks (a tail that could start a
// match is held back).
import { secretVariants } from './secret-forms.ts';

export { secretVariants };

export interface NamedSecret {
  name: string;
  value: string;
}

/**
 * A trie of the variants by UTF-16 code unit; `name` marks where a variant is complete. Most nodes
 * have one child (`code`, `only`); a Map appears only where variants branch.
 */
interface TrieNode {
  code: number;
  only: TrieNode | undefined;
  next: Map<number, TrieNode> | undefined;
  name: string | null;
  /** The secret of the first variant through this node (named when a truncated prefix matches). */
  via: string;
}

const newNode = (via = ''): TrieNode => ({ code: -1, only: undefined, next: undefined, name: null, via });

function childOf(node: TrieNode, code: number): TrieNode | undefined {
  return node.only ? (node.code === code ? node.only : undefined) : node.next?.get(code);
}

function addChild(node: TrieNode, code: number, via: string): TrieNode {
  const existing = childOf(node, code);
  if (existing) return existing;
  const child = newNode(via);
  if (!node.only && !node.next) {
    node.code = code;
    node.only = child;
  } else {
    if (node.only) node.next = new Map([[node.code, node.only]]);
    node.only = undefined;
    node.next!.set(code, child);
  }
  return child;
}

const hasChildren = (node: TrieNode) => node.only !== undefined || (node.next?.size ?? 0) > 0;
const LINE_BREAK = /[\r\n]/;
const LF = 10;
const CR = 13;
/** A pair of code units (low bytes), as an index into the pair tables. */
const pairOf = (a: number, b: number) => ((a & 0xff) << 8) | (b & 0xff);
const pairAt = (text: string, i: number) => pairOf(text.charCodeAt(i), text.charCodeAt(i + 1));
const MAX_STRIDE = 8;
/** Code units hashed per filter look-up (fewer when a variant is shorter). */
const GRAM = 4;
const GRAM_BITS = 18;
const GRAM_K = 0x9e3779b1;

/** gramAt(text, i, GRAM), unrolled: the scan's inner loop. */
function gram4At(text: string, i: number): number {
  let h = Math.imul(text.charCodeAt(i), GRAM_K);
  h = Math.imul(h ^ text.charCodeAt(i + 1), GRAM_K);
  h = Math.imul(h ^ text.charCodeAt(i + 2), GRAM_K);
  h = Math.imul(h ^ text.charCodeAt(i + 3), GRAM_K);
  return (h ^ (h >>> 15)) & ((1 << GRAM_BITS) - 1);
}

/** A hash of the `length` code units at `i`, as an index into the gram table. */
function gramAt(text: string, i: number, length: number): number {
  let h = 0;
  for (let k = 0; k < length; k++) h = Math.imul(h ^ text.charCodeAt(i + k), GRAM_K);
  return (h ^ (h >>> 15)) & ((1 << GRAM_BITS) - 1);
}
/** The line widths treated as wrapped encoder output (base64 76, PEM 64, xxd -p 60; -w N). */
const MIN_WRAP_WIDTH = 16;
const MAX_WRAP_WIDTH = 4096;
/**
 * A variant's prefix this long, followed by `...` or `…`, is a truncated secret. At least
 * MAX_STRIDE + GRAM - 1, so that the block filter sees it.
 */
const MIN_TRUNCATED_PREFIX = 12;
const ELLIPSIS = 0x2026;
/** A node with children that matches nothing: the walk is waiting for the rest of a `...`. */
const PENDING: TrieNode = { code: 0, only: newNode(), next: undefined, name: null, via: '' };

/** Where a walk of the trie stopped. */
interface Walk {
  /** Length in the text of the longest complete variant, 0 if none. */
  longest: number;
  name: string | null;
  /** The walk consumed the whole text (the match could still grow with more). */
  atEnd: boolean;
  node: TrieNode;
}

/**
 * A streaming redactor. `push` returns what is safe to emit now; `end` returns the rest.
 *
 * Matching is leftmost, then longest. A variant without a line break also matches when one line
 * break (LF or CR LF) sits between any two of its characters: `base64`, `xxd -p` and PEM wrap
 * their output (at 76, 60, 64 columns), so a long secret's encoding is spread over lines. Variants
 * with line breaks (a multi-line value as written) match exactly.
 *
 * The scan hashes `gram` code units every `stride` positions: if that hash is at none of the first
 * `stride` offsets of any variant, no variant starts in that block. A match whose first `stride +
 * gram` characters hold a line break is not seen that way, so the blocks just before the end of a
 * wrapped line are always searched. Only the rare remaining positions walk the tries. One regular
 * expression alternating all variants (50 secrets and their encodings: hundreds) was several times
 * slower (bench/redaction.ts).
 */
export class Redactor {
  /** Variants with no line break: a line break may sit between any two characters. */
  readonly #wrapped = newNode();
  /** Variants with a line break: matched as written. */
  readonly #exact = newNode();
  /** Pairs (low bytes) a variant starts with. */
  readonly #firstPairs = new Uint8Array(1 << 16);
  /** Hashes of the grams at the first `stride` offsets of a variant. */
  readonly #blockGrams = new Uint8Array(1 << GRAM_BITS);
  readonly #gram: number;
  readonly #stride: number;
  /** The most text one match can span. */
  readonly #maxSpan: number;
  #held = '';
  /** How much of `#held` is dropped text kept only as context: scanned, never emitted. */
  #hidden = 0;
  /** Alphabet characters since the last LF in what was already emitted; -1 if that line has others. */
  #lineCarry = 0;
  readonly #secrets: readonly NamedSecret[];

  constructor(secrets: readonly NamedSecret[]) {
    this.#secrets = secrets;
    const variants: string[] = [];
    for (const { name, value } of secrets) {
      if (!value) continue;
      for (const v of secretVariants(value)) {
        let node = LINE_BREAK.test(v) ? this.#exact : this.#wrapped;
        for (let i = 0; i < v.length; i++) node = addChild(node, v.charCodeAt(i), name);
        if (node.name !== null) continue; // an earlier secret has the same form: keep its name
        node.name = name;
        variants.push(v);
      }
    }
    const maxLength = Math.max(0, ...variants.map((v) => v.length));
    // A CR LF at most every MIN_WRAP_WIDTH characters, and one after the first.
    this.#maxSpan = maxLength === 0 ? 0 : maxLength + 2 * (Math.ceil(maxLength / MIN_WRAP_WIDTH) + 1);
    const minLength = Math.min(...variants.map((v) => v.length));
    this.#gram = Math.min(GRAM, minLength);
    this.#stride = Math.max(1, Math.min(MAX_STRIDE, minLength - this.#gram + 1));
    const firsts = this.#firstPairs;
    for (const v of variants) {
      if (v.length === 1) {
        // A one-unit variant matches whatever follows it.
        const first = (v.charCodeAt(0) & 0xff) << 8;
        firsts.fill(1, first, first + 256);
      } else {
        firsts[pairAt(v, 0)] = 1;
        // A line break may follow the first character of a wrapped match.
        if (!LINE_BREAK.test(v))
          firsts[pairOf(v.charCodeAt(0), LF)] = firsts[pairOf(v.charCodeAt(0), CR)] = 1;
      }
      for (let o = 0; o < this.#stride; o++) this.#blockGrams[gramAt(v, o, this.#gram)] = 1;
    }
  }

  /** Redacts a complete text in one go. */
  redact(text: string): string {
    return this.#replace(text, text.length, 0).out;
  }

  /** The most text one match can span: a stream that drops output keeps this much of it as context. */
  get maxSpan(): number {
    return this.#maxSpan;
  }

  /** This redactor when it already redacts `more`, else a new one that redacts both (no stream state). */
  including(more: readonly NamedSecret[]): Redactor {
    const known = new Set(this.#secrets.map((s) => `${s.name}\0${s.value}`));
    return more.every((s) => !s.value || known.has(`${s.name}\0${s.value}`))
      ? this
      : new Redactor([...this.#secrets, ...more]);
  }

  /** Feeds a chunk; returns the redacted text that can no longer be part of a secret. */
  push(chunk: string): string {
    if (this.#maxSpan === 0) return chunk;
    const buffer = this.#held + chunk;
    const carry = this.#lineCarry;
    const cut = buffer.length - this.#heldTailLength(buffer, carry);
    const { out, end } = this.#replace(buffer, cut, carry, this.#hidden);
    this.#held = buffer.slice(end);
    this.#hidden = Math.max(0, this.#hidden - end);
    this.#lineCarry = lineCarryAfter(buffer, end, carry);
    return out;
  }

  /** True while text pushed so far is held back (it could be the start of a match). */
  get holding(): boolean {
    return this.#held.length > this.#hidden;
  }

  /**
   * The output paused with text held back: returns it (redacted of any complete match) so a live
   * reader is not kept waiting for a next line that may not come. It stays as context, scanned and
   * never emitted again, so a secret that starts in it and runs into what is pushed next is still
   * replaced by its marker from there; what was released before the pause is not.
   */
  release(): string {
    if (!this.holding) return '';
    const { out } = this.#replace(this.#held, this.#held.length, this.#lineCarry, this.#hidden);
    this.#hidden = this.#held.length;
    return out;
  }

  /**
   * Drops the first `end` characters of `text`: output that comes next in the stream but that nobody
   * will keep (a flood past what a run keeps). Only their last `maxSpan` characters stay, as context
   * that is scanned and never emitted, so a secret that starts in the dropped text and runs into what
   * is pushed next is still replaced by its marker; the rest is never scanned. Returns how many
   * characters will never be emitted (`end`, and what was held back before).
   */
  drop(text: string, end = text.length): number {
    const held = this.#held;
    const lost = held.length - this.#hidden + end;
    if (this.#maxSpan === 0 || end === 0) return this.#maxSpan === 0 ? end : lost;
    const keep = this.#maxSpan;
    if (end >= keep) {
      const carryAtText = lineCarryAfter(held, held.length, this.#lineCarry);
      this.#lineCarry = lineCarryAfter(text, end - keep, carryAtText);
      this.#held = text.slice(end - keep, end);
    } else {
      const buffer = held + text.slice(0, end);
      const from = Math.max(0, buffer.length - keep);
      this.#lineCarry = lineCarryAfter(buffer, from, this.#lineCarry);
      this.#held = buffer.slice(from);
    }
    this.#hidden = this.#held.length;
    return lost;
  }

  /** Ends the stream: redacts and returns whatever was held back. */
  end(): string {
    const rest = this.#replace(this.#held, this.#held.length, this.#lineCarry, this.#hidden).out;
    this.#held = '';
    this.#hidden = 0;
    this.#lineCarry = 0;
    return rest;
  }

  /**
   * Replaces the matches that start before `cut`; returns the text up to `cut`, or up to the end of a
   * match that runs past it, and where that is. Text before `hidden` is context: scanned, not
   * returned (a match that runs out of it is returned as its marker).
   */
  #replace(text: string, cut: number, carry: number, hidden = 0): { out: string; end: number } {
    if (this.#maxSpan === 0) return { out: text.slice(hidden, Math.max(hidden, cut)), end: cut };
    const grams = this.#blockGrams;
    const firsts = this.#firstPairs;
    const stride = this.#stride;
    const gram = this.#gram;
    // How far before a wrapped line's end a match may start and still have a line break in its gram.
    const reach = stride + gram;
    const breaks = wrappedLineEnds(text, carry);
    let b = 0;
    let out = '';
    let last = 0;
    let end = cut;
    // Block [j - stride + 1, j]: a variant starting there has its gram at offset j - i < stride at j.
    for (let j = stride - 1; j - stride + 1 < end; j += stride) {
      while (b < breaks.length && breaks[b] <= j - stride + 1) b++;
      const nearBreak = b < breaks.length && breaks[b] - reach <= j;
      if (!nearBreak && grams[gram === GRAM ? gram4At(text, j) : gramAt(text, j, gram)] === 0) continue;
      for (let i = Math.max(j - stride + 1, last); i <= j && i < end; i++) {
        if (firsts[pairAt(text, i)] === 0) continue;
        const match = this.#longestAt(text, i, carry);
        if (match.longest === 0) continue;
        if (i + match.longest > hidden)
          out += text.slice(Math.max(last, hidden), Math.max(i, hidden)) + `[REDACTED:${match.name}]`;
        last = i + match.longest;
        if (last > end) end = last;
        i = last - 1;
      }
    }
    return { out: out + text.slice(Math.max(last, hidden), Math.max(end, hidden)), end };
  }

  /** The longest variant at `start`, wrapped or as written. */
  #longestAt(text: string, start: number, carry: number): Walk {
    const wrapped = walkWrapped(this.#wrapped, text, start, carry);
    const exact = walkExact(this.#exact, text, start);
    return exact.longest > wrapped.longest ? exact : wrapped;
  }

  /** The longest suffix of `buffer` that could still grow into a match. */
  #heldTailLength(buffer: string, carry: number): number {
    for (let start = Math.max(0, buffer.length - this.#maxSpan + 1); start < buffer.length; start++) {
      const code = buffer.charCodeAt(start);
      if (childOf(this.#wrapped, code)) {
        const walk = walkWrapped(this.#wrapped, buffer, start, carry);
        if (walk.atEnd && hasChildren(walk.node)) return buffer.length - start;
      }
      if (childOf(this.#exact, code)) {
        const walk = walkExact(this.#exact, buffer, start);
        if (walk.atEnd && hasChildren(walk.node)) return buffer.length - start;
      }
    }
    return 0;
  }
}

function walkExact(root: TrieNode, text: string, start: number): Walk {
  let node = root;
  let longest = 0;
  let name: string | null = null;
  let i = start;
  for (; i < text.length; i++) {
    const child = childOf(node, text.charCodeAt(i));
    if (!child) return truncated(text, start, i, i - start, node, longest, name);
    node = child;
    if (node.name !== null) [longest, name] = [i - start + 1, node.name];
  }
  return { longest, name, atEnd: true, node };
}

/**
 * Where a walk found no next character at `i`, after `depth` characters of a variant: a prefix of
 * at least MIN_TRUNCATED_PREFIX characters followed by `...` or `…` is a value a tool cut short
 * (Node's errors quote at most 128 characters of a value) and is redacted with its marker.
 */
function truncated(
  text: string,
  start: number,
  i: number,
  depth: number,
  node: TrieNode,
  longest: number,
  name: string | null,
): Walk {
  if (depth < MIN_TRUNCATED_PREFIX) return { longest, name, atEnd: false, node };
  const marker = text.charCodeAt(i) === ELLIPSIS ? 1 : text.startsWith('...', i) ? 3 : 0;
  if (marker > 0) return { longest: i + marker - start, name: node.via, atEnd: false, node };
  // `.` or `..` at the end of the text may still become `...`: hold it back.
  const rest = text.length - i;
  const partial = rest < 3 && text.startsWith('...'.slice(0, rest), i);
  return { longest, name, atEnd: partial, node: partial ? PENDING : node };
}

/** Where each line of wrapped encoder output before `until` ends (its CR or LF). */
function wrappedLineEnds(text: string, carry: number): number[] {
  const ends: number[] = [];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    const breakAt = at > 0 && text.charCodeAt(at - 1) === CR ? at - 1 : at;
    if (endsWrappedLine(text, breakAt, carry)) ends.push(breakAt);
  }
  return ends;
}

const isAlphabet = (code: number) => code < 128 && WRAPPED_ALPHABET[code] === 1;

/** The line carry once `text` up to `end` is emitted, `carry` being the one before `text`. */
function lineCarryAfter(text: string, end: number, carry: number): number {
  const lf = end === 0 ? -1 : text.lastIndexOf('\n', end - 1);
  let width = lf === -1 ? carry : 0;
  // Longer than any wrapped line: no need to walk it (a flood's dropped text can be one huge line).
  if (width < 0 || end - (lf + 1) > MAX_WRAP_WIDTH) return -1;
  for (let k = end - 1; k > lf; k--) if (!isAlphabet(text.charCodeAt(k))) return -1;
  width += end - (lf + 1);
  return width > MAX_WRAP_WIDTH ? -1 : width;
}

/** Base64 (standard, URL-safe, padding) and hex characters: what encoders wrap. */
const WRAPPED_ALPHABET = (() => {
  const table = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_')
    table[c.charCodeAt(0)] = 1;
  return table;
})();

/**
 * Whether the line that ends at `breakAt` is a line of wrapped encoder output: MIN_WRAP_WIDTH to
 * MAX_WRAP_WIDTH characters of the alphabet (ordinary log lines have spaces and punctuation, so
 * they are not joined to the next, and a log's last line is not held back).
 */
function endsWrappedLine(text: string, breakAt: number, carry: number): boolean {
  let width = 0;
  let k = breakAt - 1;
  for (; k >= 0 && text.charCodeAt(k) !== LF; k--) {
    if (!isAlphabet(text.charCodeAt(k)) || ++width > MAX_WRAP_WIDTH) return false;
  }
  // The line began before this text: `carry` says how it began.
  if (k < 0) width = carry < 0 ? -1 : width + carry;
  return width >= MIN_WRAP_WIDTH && width <= MAX_WRAP_WIDTH;
}

/**
 * Like walkExact, but passes over one line break (LF or CR LF) between two characters when the line
 * it ends is wrapped encoder output.
 */
function walkWrapped(root: TrieNode, text: string, start: number, carry: number): Walk {
  let node = root;
  let longest = 0;
  let name: string | null = null;
  let depth = 0;
  let i = start;
  while (i < text.length) {
    let code = text.charCodeAt(i);
    if (node !== root && (code === LF || code === CR)) {
      const crlf = code === CR && (i + 1 === text.length || text.charCodeAt(i + 1) === LF);
      if ((code === CR && !crlf) || !endsWrappedLine(text, i, carry)) {
        return truncated(text, start, i, depth, node, longest, name);
      }
      i += crlf ? 2 : 1;
      if (i >= text.length) break;
      code = text.charCodeAt(i);
    }
    const child = childOf(node, code);
    if (!child) return truncated(text, start, i, depth, node, longest, name);
    node = child;
    depth++;
    i++;
    if (node.name !== null) [longest, name] = [i - start, node.name];
  }
  return { longest, name, atEnd: true, node };
}
