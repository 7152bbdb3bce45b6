// Results for operations whose failure is expected (parsing input, opening a sealed box).
export type Result<T, E = ModelError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** A problem with one field: `field` is a dotted path such as `vars.API_KEY` ('' for the whole body). */
export interface FieldIssue {
  field: string;
  message: string;
}

/** The model's one error class: a machine-readable code, a message naming the field or thing, the cause kept. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  readonly code: string;
  readonly issues: FieldIssue[];
  constructor(code: string, message: string, options?: { issues?: FieldIssue[]; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}
