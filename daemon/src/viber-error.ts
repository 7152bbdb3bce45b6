// The daemon's one error class: a machine-readable code, a message naming the field or thing, the cause kept.

export class ViberError extends Error {
  override readonly name = 'ViberError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.code = code;
  }
}

/** The message of anything thrown, for logs and documents (callers redact it). */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
