// [X7] Redaction against the real encoders: each row runs the real command (coreutils base64, xxd,
// python3, bash, node) on a document holding a hostile secret, feeds its exact output through the
// Redactor in random chunk splits, and checks that no form of the secret survives.
//
// "Survives" is defined precisely: with line breaks removed, the redacted output holds no run of
// LEAK_WINDOW characters of the secret as that same encoder writes it (for base64: at each of the
// three byte alignments, without the quanta shared with neighbouring bytes). So at most a few
// characters next to a redaction can depend on the secret (a base64 quantum holds 2 of its bytes).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.ts';

const LEAK_WINDOW = 12;

interface Secret {
  name: string;
  value: string;
}

const SECRETS: Secret[] = [
  { name: 'UTF8_QUOTES', value: `pä ss'w"o rd $HOME \`id\` ü€😀 end!*()~ tail\\back` },
  { name: 'TOKEN_57', value: 'ghp_' + randomBytes(40).toString('base64url').slice(0, 53) },
  { name: 'TOKEN_58', value: 'sk-' + randomBytes(42).toString('base64url').slice(0, 55) },
  { name: 'LONG_TOKEN', value: randomBytes(160).toString('base64url') + '/+=:;,' },
  {
    name: 'PEM_KEY',
    value: `-----BEGIN PRIVATE KEY-----\n${randomBytes(48).toString('base64')}\n${randomBytes(48).toString('base64')}\n${randomBytes(30).toString('base64')}\n-----END PRIVATE KEY-----`,
  },
  { name: 'CONTROL', value: 'c1\u0085tab\there\\back\\slash \x1b[31mred\x07bell\x7fdel\rcr ñ' },
  { name: 'NUL', value: 'nul\x00inside-the-secret-value-x' },
];

interface Encoder {
  name: string;
  /** Encodes each input with the real tool, in one process. */
  run: (inputs: string[]) => string[];
  /** Byte encoders: the secret may sit at any of three alignments. */
  bytes?: 'base64' | 'hex';
  /** Removes what the encoder wraps around a value (quotes, `declare -- X=`). */
  unwrap?: (out: string) => string;
  /** bash variables cannot hold NUL. */
  noNul?: boolean;
}

/**
 * Runs a shell command on each input (on its stdin, as bytes), all in one bash process; the outputs
 * are NUL-separated (none of these tools writes a NUL).
 */
const shell =
  (command: string, locale = 'C.UTF-8') =>
  (inputs: string[]): string[] => {
    const dir = mkdtempSync(join(tmpdir(), 'encoders-'));
    try {
      const files = inputs.map((input, i) => {
        const file = join(dir, String(i));
        writeFileSync(file, input);
        return file;
      });
      const out = execFileSync(
        'bash',
        ['-c', `for f in "$@"; do { ${command}; } < "$f"; printf '\\0'; done`, '_', ...files],
        {
          env: { ...process.env, LC_ALL: locale },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return out.split('\0').slice(0, inputs.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

/** Reads stdin into X exactly (command substitution would drop trailing newlines). */
const bashVar = (code: string) => `{ X="$(cat; printf .)"; X="\${X%.}"; ${code}; }`;

/** Runs a Python expression of `s` (the input as text) on each input, in one python3 process. */
const python =
  (expression: string) =>
  (inputs: string[]): string[] =>
    JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `import sys, json, base64, urllib.parse as up\nprint(json.dumps([(${expression}) + "\\n" for s in json.load(sys.stdin)]))`,
        ],
        { input: JSON.stringify(inputs), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      ),
    ) as string[];

/** Runs a Node function body of `s` on each input, in one node process. */
const node =
  (body: string) =>
  (inputs: string[]): string[] =>
    JSON.parse(
      execFileSync(
        'node',
        [
          '-e',
          `const f = (s) => { ${body} }; console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")).map((s) => f(s) + "\\n")))`,
        ],
        { input: JSON.stringify(inputs), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      ),
    ) as string[];

const slice = (a: number, b: number) => (out: string) => out.trimEnd().slice(a, b);

const ENCODERS: Encoder[] = [
  { name: 'base64 (76 columns)', run: shell('base64'), bytes: 'base64' },
  { name: 'base64 -w 64 (PEM)', run: shell('base64 -w 64'), bytes: 'base64' },
  { name: 'base64 -w 60', run: shell('base64 -w 60'), bytes: 'base64' },
  { name: 'base64 -w 0', run: shell('base64 -w 0'), bytes: 'base64' },
  { name: 'openssl base64 (64 columns)', run: shell('openssl base64'), bytes: 'base64' },
  { name: 'base64 | CRLF line ends', run: shell("base64 | sed 's/$/\\r/'"), bytes: 'base64' },
  {
    name: 'python base64.encodebytes (76)',
    run: python('base64.encodebytes(s.encode()).decode()'),
    bytes: 'base64',
  },
  {
    name: 'python urlsafe_b64encode',
    run: python('base64.urlsafe_b64encode(s.encode()).decode()'),
    bytes: 'base64',
  },
  { name: 'xxd -p (60 columns)', run: shell('xxd -p'), bytes: 'hex' },
  { name: 'xxd -p -u', run: shell('xxd -p -u'), bytes: 'hex' },
  { name: 'xxd -p -c 16', run: shell('xxd -p -c 16'), bytes: 'hex' },
  { name: 'python json.dumps', run: python('json.dumps(s)'), unwrap: slice(1, -1) },
  {
    name: 'python json.dumps ensure_ascii=False',
    run: python('json.dumps(s, ensure_ascii=False)'),
    unwrap: slice(1, -1),
  },
  { name: 'python urllib.parse.quote', run: python('up.quote(s)') },
  { name: 'python urllib.parse.quote_plus', run: python('up.quote_plus(s)') },
  { name: "python quote(safe='')", run: python("up.quote(s, safe='')") },
  { name: 'python repr', run: python('repr(s)'), unwrap: slice(1, -1) },
  { name: 'node JSON.stringify', run: node('return JSON.stringify(s)'), unwrap: slice(1, -1) },
  { name: 'node util.inspect', run: node('return require("util").inspect(s)'), unwrap: slice(1, -1) },
  {
    // What reached a binding's lastError: Node refuses a NUL in the environment, quoting the value.
    name: 'node spawn error (NUL in env)',
    run: node(
      'try { require("child_process").spawnSync("true", [], { env: { X: s + "\\0" } }); return "spawned" } catch (e) { return e.message }',
    ),
    unwrap: (out) => out.slice(out.indexOf('Received ') + 10).replace(/(\\x00)?.\n$/, ''),
  },
  ...['C.UTF-8', 'C'].flatMap((locale): Encoder[] => [
    {
      name: `bash printf %q (${locale})`,
      run: shell(bashVar('printf "%q\\n" "$X"'), locale),
      noNul: true,
      unwrap: (out) => out.trimEnd().replace(/^\$'/, '').replace(/'$/, ''),
    },
    {
      name: `bash declare -p (${locale})`,
      run: shell(bashVar('declare -p X'), locale),
      noNul: true,
      unwrap: (out) =>
        out
          .trimEnd()
          .replace(/^declare -- X=\$?['"]/, '')
          .slice(0, -1),
    },
  ]),
  { name: 'bash ${X@Q}', run: shell(bashVar('echo "${X@Q}"')), noNul: true, unwrap: slice(1, -1) },
];

const noBreaks = (s: string) => s.replace(/[\r\n]/g, '');

/** The inputs whose encodings are the references for a secret (see references). */
function referenceInputs(encoder: Encoder, secret: string): string[] {
  if (encoder.bytes === 'base64') return ['', 'P', 'PP'].map((pad) => pad + secret);
  // A value with a line break may be quoted differently ($'…' in bash): both ways.
  return encoder.bytes ? [secret] : [secret, secret + '\n'];
}

/** The secret as the encoder writes it, line breaks removed: the runs that must not survive. */
function references(encoder: Encoder, secret: string, outputs: string[]): string[] {
  if (encoder.bytes === 'hex') return outputs.map(noBreaks);
  if (encoder.bytes === 'base64') {
    // Padding the secret by 0-2 bytes moves it through the three alignments; quanta shared with the
    // padding or with what follows the secret are dropped.
    return outputs.map((out, pad) =>
      noBreaks(out)
        .replace(/=+$/, '')
        .slice(pad ? 4 : 0, Math.floor((pad + Buffer.byteLength(secret)) / 3) * 4),
    );
  }
  return outputs.map((out) => noBreaks(encoder.unwrap ? encoder.unwrap(out) : out.trimEnd()));
}

/** Documents holding the secret: at each alignment, with text around it, and twice. */
const documents = (secret: string) => [
  secret,
  `k=${secret}\n`,
  `key: "${secret}"\nnext: value\n`,
  `{"a":1,"token":"${secret}","again":"${secret}"}\n`,
];

/** A small deterministic generator, so a failing split can be reproduced. */
function chunks(text: string, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (let at = 0; at < text.length;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const size = 1 + (x % (seed % 2 ? 7 : 97));
    out.push(text.slice(at, at + size));
    at += size;
  }
  return out;
}

function leaks(output: string, refs: string[]): string[] {
  const flat = noBreaks(output);
  const found: string[] = [];
  for (const ref of refs)
    for (let i = 0; i + LEAK_WINDOW <= ref.length; i++) {
      const window = ref.slice(i, i + LEAK_WINDOW);
      if (flat.includes(window)) found.push(window);
    }
  return found;
}

describe('[X7] redaction of real encoder output', () => {
  it.each(ENCODERS)('$name: no run of the secret survives, whatever the chunking', (encoder) => {
    const secrets = SECRETS.filter((s) => !(encoder.noNul && s.value.includes('\0')));
    const inputs = secrets.map((s) => [...referenceInputs(encoder, s.value), ...documents(s.value)]);
    const outputs = encoder.run(inputs.flat());
    let at = 0;
    for (const [k, secret] of secrets.entries()) {
      const refCount = referenceInputs(encoder, secret.value).length;
      const mine = outputs.slice(at, at + inputs[k].length);
      at += inputs[k].length;
      const refs = references(encoder, secret.value, mine.slice(0, refCount));
      expect(refs.every((r) => r.length >= LEAK_WINDOW)).toBe(true);
      for (const output of mine.slice(refCount)) {
        // The output really holds the secret (else the test proves nothing).
        expect(leaks(output, refs).length, `${secret.name} not in ${JSON.stringify(output)}`).toBeGreaterThan(
          0,
        );
        const whole = new Redactor(SECRETS).redact(output);
        expect(leaks(whole, refs), `${secret.name} in ${JSON.stringify(whole)}`).toEqual([]);
        for (const seed of [1, 2]) {
          const redactor = new Redactor(SECRETS);
          const streamed =
            chunks(output, seed)
              .map((c) => redactor.push(c))
              .join('') + redactor.end();
          expect(streamed, `${secret.name}, seed ${seed}`).toBe(whole);
        }
      }
    }
  });
});
