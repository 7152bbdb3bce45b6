// Redaction throughput: a stream of build output with 50 secrets (and their encodings) sprinkled in,
// through the Redactor chunk by chunk, against a plain copy of the same stream (decode and re-encode,
// which the output path does anyway). Timed in CPU time of this process (the machine may be shared).
import { randomBytes } from 'node:crypto';
import { Redactor, secretVariants, type NamedSecret } from '@openviber/shared';

export const SECRETS = 50;

function makeSecrets(): NamedSecret[] {
  return Array.from({ length: SECRETS }, (_, i) => {
    const kind = i % 5;
    const value =
      kind === 0
        ? `ghp_${randomBytes(27).toString('base64url')}`
        : kind === 1
          ? randomBytes(20).toString('hex')
          : kind === 2
            ? `postgres://app:${randomBytes(12).toString('base64url')}@db.internal:5432/app`
            : kind === 3
              ? `-----BEGIN KEY-----\n${randomBytes(30).toString('base64')}\n${randomBytes(30).toString('base64')}\n-----END KEY-----`
              : `pa ss'word "${randomBytes(9).toString('base64url')}"`;
    return { name: `SECRET_${i}`, value };
  });
}

const LINES = [
  'npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.',
  'added 1274 packages, and audited 1275 packages in 14s',
  '  ✓ src/components/button.test.tsx (12 tests) 41ms',
  '[build] dist/assets/index-4f2a9c1e.js   142.37 kB │ gzip: 45.12 kB',
  'Compiling serde_json v1.0.108',
  '  at Object.<anonymous> (/home/runner/work/app/src/index.ts:42:17)',
  'GET /api/health 200 3.214 ms - 27',
  '{"level":"info","time":1700000000000,"msg":"listening","port":8080}',
];

const wrappedBase64 = (text: string) => Buffer.from(text).toString('base64').replace(/.{76}/g, '$&\n');

/** ~`mb` MB of output in chunks of varying size (as pipes deliver them), with a secret form every ~64 KB. */
function makeStream(secrets: NamedSecret[], mb: number): Buffer[] {
  const forms = secrets.flatMap((s) => secretVariants(s.value));
  let text = '';
  let next = 0;
  while (text.length < mb * 1024 * 1024) {
    text += LINES[next++ % LINES.length] + '\n';
    if (next % 800 === 0) text += `token=${forms[next % forms.length]}\n`;
    // A config file dumped with `base64` (wrapped at 76 columns) now and then.
    if (next % 4000 === 0) text += wrappedBase64(JSON.stringify(secrets.slice(0, 5))) + '\n';
  }
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = [65_536, 4096, 16_384, 977, 32_768][i % 5];
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

export interface RedactionResult {
  mb: number;
  redactMBps: number;
  copyMBps: number;
  redactions: number;
  /** Redactor.push alone over the already-decoded chunks. */
  redactOnlyMBps: number;
}

function pipe(
  chunks: Buffer[],
  through: (s: string) => string,
  end: () => string,
): { ms: number; out: string[] } {
  const decoder = new TextDecoder();
  const out: string[] = [];
  const cpu0 = process.cpuUsage();
  let encoded = 0;
  for (const c of chunks) {
    const text = through(decoder.decode(c, { stream: true }));
    encoded += Buffer.from(text).length;
    out.push(text);
  }
  out.push(end());
  if (encoded < 0) throw new Error('unreachable');
  const cpu = process.cpuUsage(cpu0);
  return { ms: (cpu.user + cpu.system) / 1000, out };
}

export function redaction(mb: number, rounds = 3): RedactionResult {
  const secrets = makeSecrets();
  const chunks = makeStream(secrets, mb);
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  let best = { redact: Infinity, copy: Infinity };
  let redactions = 0;
  for (let r = 0; r < rounds; r++) {
    const copy = pipe(
      chunks,
      (s) => s,
      () => '',
    );
    const redactor = new Redactor(secrets);
    const red = pipe(
      chunks,
      (s) => redactor.push(s),
      () => redactor.end(),
    );
    redactions = red.out.join('').split('[REDACTED:').length - 1;
    best = { redact: Math.min(best.redact, red.ms), copy: Math.min(best.copy, copy.ms) };
    if (copy.out.length === 0) throw new Error('unreachable');
  }
  // The redactor alone: the same chunks, decoded beforehand, through Redactor.push (CPU time).
  const decoder = new TextDecoder();
  const decoded = chunks.map((c) => decoder.decode(c, { stream: true }));
  let pushOnly = Infinity;
  for (let r = 0; r < rounds + 1; r++) {
    const redactor = new Redactor(secrets);
    const cpu0 = process.cpuUsage();
    let emitted = 0;
    for (const text of decoded) emitted += redactor.push(text).length;
    emitted += redactor.end().length;
    const cpu = process.cpuUsage(cpu0);
    if (emitted === 0) throw new Error('the redactor emitted nothing');
    pushOnly = Math.min(pushOnly, (cpu.user + cpu.system) / 1000);
  }
  const MB = bytes / (1024 * 1024);
  return {
    mb: MB,
    redactMBps: MB / (best.redact / 1000),
    copyMBps: MB / (best.copy / 1000),
    redactions,
    redactOnlyMBps: MB / (pushOnly / 1000),
  };
}
