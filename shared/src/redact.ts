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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A streaming redactor. `push` returns what is safe to emit now; `end` returns the rest. */
export class Redactor {
  readonly #pattern: RegExp | null;
  readonly #names = new Map<string, string>();
  readonly #prefixes = new Set<string>();
  readonly #maxLength: number;
  #held = '';

  constructor(secrets: readonly NamedSecret[]) {
    for (const { name, value } of secrets) {
      if (!value) continue;
      for (const v of secretVariants(value)) if (!this.#names.has(v)) this.#names.set(v, name);
    }
    const variants = [...this.#names.keys()].sort((a, b) => b.length - a.length);
    this.#maxLength = variants[0]?.length ?? 0;
    for (const v of variants) for (let i = 1; i < v.length; i++) this.#prefixes.add(v.slice(0, i));
    this.#pattern = variants.length ? new RegExp(variants.map(escapeRegExp).join('|'), 'g') : null;
  }

  /** Redacts a complete text in one go. */
  redact(text: string): string {
    if (!this.#pattern) return text;
    return text.replace(this.#pattern, (m) => `[REDACTED:${this.#names.get(m)}]`);
  }

  /** Feeds a chunk; returns the redacted text that can no longer be part of a secret. */
  push(chunk: string): string {
    if (!this.#pattern) return chunk;
    const buffer = this.#held + chunk;
    let cut = buffer.length - this.#heldTailLength(buffer);
    let out = '';
    let last = 0;
    this.#pattern.lastIndex = 0;
    for (let m = this.#pattern.exec(buffer); m; m = this.#pattern.exec(buffer)) {
      if (m.index >= cut) break;
      out += buffer.slice(last, m.index) + `[REDACTED:${this.#names.get(m[0])}]`;
      last = m.index + m[0].length;
      if (last > cut) cut = last;
    }
    out += buffer.slice(last, cut);
    this.#held = buffer.slice(cut);
    return out;
  }

  /** Ends the stream: redacts and returns whatever was held back. */
  end(): string {
    const rest = this.redact(this.#held);
    this.#held = '';
    return rest;
  }

  /** The longest suffix of `buffer` that could still grow into a secret. */
  #heldTailLength(buffer: string): number {
    for (let k = Math.min(this.#maxLength - 1, buffer.length); k > 0; k--) {
      if (this.#prefixes.has(buffer.slice(buffer.length - k))) return k;
    }
    return 0;
  }
}
