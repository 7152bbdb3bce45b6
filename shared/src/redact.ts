// Redacts secrets from a stream of output: the value, its common encodings, each line of a multi-line
// value, and matches split across chunks (a tail that could start a match is held back).
import { MIN_SECRET_LENGTH } from './limits.ts';

export interface NamedSecret {
  name: string;
  value: string;
}

const utf8 = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The base64 characters that depend only on the secret's bytes, at each of the three alignments. */
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

/** Every form of a secret that must never appear in output. */
export function secretVariants(value: string): string[] {
  const forms = new Set<string>([value]);
  const lines = value.split(/\r?\n/).filter((l) => l.trim().length >= MIN_SECRET_LENGTH);
  if (lines.length > 1) lines.forEach((l) => forms.add(l));
  for (const v of [value, ...(lines.length > 1 ? lines : [])]) {
    forms.add(JSON.stringify(v).slice(1, -1));
    forms.add(encodeURIComponent(v));
    forms.add(encodeURIComponent(v).replace(/%20/g, '+'));
    forms.add(v.replace(/'/g, `'\\''`));
    forms.add(v.replace(/([^A-Za-z0-9_\-.,:/@%+=])/g, '\\$1'));
    forms.add(Array.from(utf8.encode(v), (b) => b.toString(16).padStart(2, '0')).join(''));
    for (const b of base64Forms(v)) if (b.length >= MIN_SECRET_LENGTH) forms.add(b);
  }
  return [...forms].filter((f) => f.length >= Math.min(MIN_SECRET_LENGTH, value.length) && f.length > 0);
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
}

const newNode = (): TrieNode => ({ code: -1, only: undefined, next: undefined, name: null });

function childOf(node: TrieNode, code: number): TrieNode | undefined {
  return node.only ? (node.code === code ? node.only : undefined) : node.next?.get(code);
}

function addChild(node: TrieNode, code: number): TrieNode {
  const existing = childOf(node, code);
  if (existing) return existing;
  const child = newNode();
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
/** The pair of code units at `i` (low bytes), as an index into the pair tables. */
const pairAt = (text: string, i: number) =>
  ((text.charCodeAt(i) & 0xff) << 8) | (text.charCodeAt(i + 1) & 0xff);
const MAX_STRIDE = 4;

/**
 * A streaming redactor. `push` returns what is safe to emit now; `end` returns the rest.
 *
 * Matching is leftmost, then longest. The scan looks at one pair of code units every `stride`
 * positions: if that pair occurs at none of the first `stride` offsets of any variant, no variant
 * starts in that block. Only the rare remaining positions walk the trie. One regular expression
 * alternating all variants (50 secrets and their encodings: hundreds) was several times slower
 * (bench/redaction.ts).
 */
export class Redactor {
  readonly #trie = newNode();
  /** Pairs (low bytes) a variant starts with. */
  readonly #firstPairs = new Uint8Array(1 << 16);
  /** Pairs (low bytes) at any of the first `stride` offsets of a variant. */
  readonly #blockPairs = new Uint8Array(1 << 16);
  readonly #stride: number;
  readonly #maxLength: number;
  #held = '';

  constructor(secrets: readonly NamedSecret[]) {
    const variants: string[] = [];
    for (const { name, value } of secrets) {
      if (!value) continue;
      for (const v of secretVariants(value)) {
        let node = this.#trie;
        for (let i = 0; i < v.length; i++) node = addChild(node, v.charCodeAt(i));
        if (node.name !== null) continue; // an earlier secret has the same form: keep its name
        node.name = name;
        variants.push(v);
      }
    }
    this.#maxLength = Math.max(0, ...variants.map((v) => v.length));
    const minLength = Math.min(...variants.map((v) => v.length));
    this.#stride = Math.max(1, Math.min(MAX_STRIDE, minLength - 1));
    for (const v of variants) {
      if (v.length === 1) {
        // A one-unit variant matches whatever follows it.
        const first = (v.charCodeAt(0) & 0xff) << 8;
        this.#firstPairs.fill(1, first, first + 256);
        this.#blockPairs.fill(1, first, first + 256);
        continue;
      }
      this.#firstPairs[pairAt(v, 0)] = 1;
      for (let o = 0; o < this.#stride && o + 1 < v.length; o++) this.#blockPairs[pairAt(v, o)] = 1;
    }
  }

  /** Redacts a complete text in one go. */
  redact(text: string): string {
    return this.#replace(text, text.length).out;
  }

  /** Feeds a chunk; returns the redacted text that can no longer be part of a secret. */
  push(chunk: string): string {
    if (this.#maxLength === 0) return chunk;
    const buffer = this.#held + chunk;
    const { out, end } = this.#replace(buffer, buffer.length - this.#heldTailLength(buffer));
    this.#held = buffer.slice(end);
    return out;
  }

  /** Ends the stream: redacts and returns whatever was held back. */
  end(): string {
    const rest = this.redact(this.#held);
    this.#held = '';
    return rest;
  }

  /**
   * Replaces the matches that start before `cut`; returns the text up to `cut`, or up to the end of a
   * match that runs past it, and where that is.
   */
  #replace(text: string, cut: number): { out: string; end: number } {
    if (this.#maxLength === 0) return { out: text.slice(0, cut), end: cut };
    const blocks = this.#blockPairs;
    const firsts = this.#firstPairs;
    const stride = this.#stride;
    let out = '';
    let last = 0;
    let end = cut;
    // Block [j - stride + 1, j]: a variant starting there has its pair at offset j - i < stride at j.
    for (let j = stride - 1; j - stride + 1 < end; j += stride) {
      if (blocks[pairAt(text, j)] === 0) continue;
      for (let i = Math.max(j - stride + 1, last); i <= j && i < end; i++) {
        if (firsts[pairAt(text, i)] === 0) continue;
        const length = this.#longestAt(text, i);
        if (length === 0) continue;
        out += text.slice(last, i) + `[REDACTED:${this.#nameOf(text, i, length)}]`;
        last = i + length;
        if (last > end) end = last;
        i = last - 1;
      }
    }
    return { out: out + text.slice(last, end), end };
  }

  /** Length of the longest variant at `start`, 0 if none. */
  #longestAt(text: string, start: number): number {
    let node = this.#trie;
    let longest = 0;
    for (let i = start; i < text.length; i++) {
      const child = childOf(node, text.charCodeAt(i));
      if (!child) break;
      node = child;
      if (node.name !== null) longest = i - start + 1;
    }
    return longest;
  }

  #nameOf(text: string, start: number, length: number): string {
    let node = this.#trie;
    for (let i = start; i < start + length; i++) node = childOf(node, text.charCodeAt(i))!;
    return node.name!;
  }

  /** The longest suffix of `buffer` that is a proper prefix of a variant (so could still grow into one). */
  #heldTailLength(buffer: string): number {
    for (let start = Math.max(0, buffer.length - this.#maxLength + 1); start < buffer.length; start++) {
      let node: TrieNode | undefined = this.#trie;
      for (let i = start; node !== undefined && i < buffer.length; i++)
        node = childOf(node, buffer.charCodeAt(i));
      if (node && hasChildren(node)) return buffer.length - start;
    }
    return 0;
  }
}
