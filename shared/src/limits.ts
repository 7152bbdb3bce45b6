// Bounds that keep documents, bodies and logs from growing without limit.

/**
 * The server stores a document at most this long after a change reaches it (Hocuspocus's
 * maxDebounce); a Viber keeps the marker of a local change until the server had it this long ([V1]).
 */
export const MAX_STORE_DELAY_MS = 10_000;
/** Largest HTTP request body the API reads. */
export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 2_000;
export const MAX_SCRIPT_LENGTH = 64 * 1024;
export const MAX_VARS = 200;
export const MAX_VAR_VALUE_LENGTH = 32 * 1024;
export const MAX_SECRETS = 100;
/** A sealed box is the plaintext plus 48 bytes (ephemeral public key + MAC). */
export const SEALED_BOX_OVERHEAD = 48;
/** Secrets shorter than this cannot be redacted without mangling ordinary output. */
export const MIN_SECRET_LENGTH = 8;
export const MAX_SECRET_LENGTH = 16 * 1024;
export const MAX_MESSAGE_LENGTH = 64 * 1024;
export const MAX_TITLE_LENGTH = 200;
/** Prepare log: lines kept per binding; older lines are dropped and counted. */
export const MAX_PREPARE_LOG_LINES = 2_000;
/** Run summaries a Viber keeps in its document (the latest tasks'); older ones are dropped ([V4]). */
export const MAX_TASK_RUN_SUMMARIES = 200;
/** Refusals a pinned Viber keeps published in its document ([T5]); the oldest are dropped. */
export const MAX_REFUSALS = 500;
/** Run output: characters kept per message run; older output is dropped and counted. */
export const MAX_RUN_OUTPUT_CHARS = 256 * 1024;
/**
 * A task's run document keeps the whole (bounded) output of its newest runs only; each older run
 * keeps the last OLD_RUN_OUTPUT_CHARS of its output (where a result or an error is), the rest
 * counted as dropped: a long conversation's document is not 256 K per message.
 */
export const MAX_RUNS_WITH_OUTPUT = 20;
export const OLD_RUN_OUTPUT_CHARS = 4 * 1024;
/** Deleted-entity entries the workspace keeps ([D7]); the server drops the oldest beyond this. */
export const MAX_DELETIONS = 1_000;
/** A task's published patch: characters kept in all; larger patches are cut and flagged `truncated`. */
export const MAX_CHANGES_PATCH_CHARS = 1024 * 1024;
/** One file's part of the patch: a larger file (generated, say) is listed with its counts, not stored whole. */
export const MAX_CHANGES_FILE_PATCH_CHARS = 256 * 1024;
/** Files listed in a task's changes; more are counted in `truncated`. */
export const MAX_CHANGES_FILES = 2_000;
/** A push's commit message. */
export const MAX_COMMIT_MESSAGE_LENGTH = 8 * 1024;
