// Every bound the server puts on what a stranger (or a signed-up user) can spend: memory, sockets,
// disk, guesses. One table, mirrored in the README's "Limits" section; change both together.
import { availableParallelism } from 'node:os';

/** Largest websocket message before the socket authenticated a document; past it `ws` closes with 1009. */
export const MAX_WS_PAYLOAD_BYTES = 1024 * 1024;
/**
 * Largest websocket message once the socket authenticated: a device re-uploading a whole workspace
 * (the server lost it, or it was built offline) sends it as one message — 1,000 environments and
 * 10,000 tasks encode to about 2.3 MB. Past it `ws` closes with 1009.
 */
export const MAX_WS_PAYLOAD_BYTES_AUTHENTICATED = 8 * 1024 * 1024;
/** A new websocket must authenticate a document within this time or it is closed. */
export const AUTH_DEADLINE_MS = 10_000;
/** Idle time after which an authenticated socket that sends nothing is closed (Hocuspocus `timeout`). */
export const IDLE_SOCKET_TIMEOUT_MS = 60_000;
/**
 * Bytes Hocuspocus queues per socket for documents still authenticating (its default is 5 MiB);
 * past it the socket is closed (4205). With a frame of MAX_WS_PAYLOAD_BYTES being received, a socket
 * holds about 2 MiB before login (2.3 MB of server memory, measured).
 */
export const MAX_PREAUTH_QUEUE_BYTES = 1024 * 1024;
/** Websockets from one client address not yet authenticated, at once; past it the upgrade gets 429 (~75 MB). */
export const MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS = 32;
/** Websockets not yet authenticated, all addresses together; past it the upgrade gets 503 (~300 MB). */
export const MAX_UNAUTHENTICATED_SOCKETS = 128;
/**
 * A refused or broken websocket (oversized or malformed frame, refused upgrade or authentication) is
 * logged in one line, at most once per address per window; the rest are counted into one line.
 */
export const REFUSAL_LOG_WINDOW_MS = 60_000;
/** Addresses logged apart per window; refusals from further ones share one line. */
export const REFUSAL_LOG_MAX_ADDRESSES = 100;

/** node:http: the request line and headers must arrive within this time. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** node:http: the whole request must arrive within this time. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** How often node:http checks the two timeouts above (at Node's default, 30 s, they ran up to 30 s late). */
export const HTTP_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** An API request body must be read completely within this time, else 408 and the socket closes. */
export const BODY_READ_TIMEOUT_MS = 10_000;
/** Objects and arrays nested in an API request body; deeper is 400 (a route's own bodies nest 4 at most). */
export const MAX_BODY_DEPTH = 32;
/**
 * Plain HTTP connections (not websockets) from one client address at once; past it a new one is
 * answered 429 and closed. A browser opens at most 6 per server; a NAT of ~40 browsers fits.
 */
export const MAX_HTTP_CONNECTIONS_PER_ADDRESS = 256;
/** Plain HTTP connections, all addresses together; past it 503. Each holds a file descriptor. */
export const MAX_HTTP_CONNECTIONS = 4096;

/**
 * Websockets authenticated with one user's sessions (devices, tabs) at once; the user's Vibers
 * together have a budget of the same size of their own, so neither can crowd the other out. Each
 * socket may hold MAX_DOCS_PER_CONNECTION documents. Past it the document is refused:
 * `too many connections …`.
 */
export const MAX_SOCKETS_PER_USER = 50;
/**
 * Document items the server encodes for one principal's SyncStep1 requests per minute (a user's
 * devices, and a user's Vibers, each have this; per process). Each request is charged the items of
 * its document, at least SYNC_MIN_CHARGE; past it the socket is closed (4429). The bench's
 * 10,000-task workspace holds 63,000 items and encodes in 28 ms here: the budget is ~79 such syncs
 * a minute, ~4% of a core.
 */
export const SYNC_ITEMS_PER_MINUTE = 5_000_000;
export const SYNC_MIN_CHARGE = 100;
/**
 * Changes a limit may refuse to one principal (a user's devices, or a user's Vibers) per minute,
 * per process. A refused change is sent again at the next sync, so a client that authenticates
 * again at once loops; Hocuspocus prints a line for each. Past it the socket is closed (4429) and
 * the provider reconnects later. The Viber retries with backoff (0.5 s doubling to 30 s): 24 open
 * tasks all refused make ~170 in their first minute.
 */
export const MAX_REFUSED_CHANGES_PER_MINUTE = 300;
/** Documents one websocket may hold open at once; more are refused with `too many documents`. */
export const MAX_DOCS_PER_CONNECTION = 500;
/** Documents stored per user (workspace, tasks, Viber documents, logs). */
export const MAX_DOCS_PER_USER = 50_000;
/** Bytes stored per user, all documents together. */
export const MAX_BYTES_PER_USER = 512 * 1024 * 1024;
/**
 * Estimated memory one user's loaded documents may take in one server process (sync/loaded-memory.ts:
 * encoded bytes plus ~450 bytes per Yjs struct): past it their peers cannot open more and changes
 * that would grow them are refused ([S11a]). A 10,000-task workspace takes ~25 MB.
 */
export const MAX_LOADED_MEMORY_PER_USER = 256 * 1024 * 1024;

/**
 * Failed logins per (case-folded) user name per window, whether or not the name exists (its answers
 * never tell); past it even the right password waits.
 */
export const LOGIN_FAILURES_PER_USER = 5;
/** Failed logins at any name per client address per window (many users behind one NAT). */
export const LOGIN_FAILURES_PER_ADDRESS = 50;
export const LOGIN_WINDOW_SECONDS = 15 * 60;
/** Sign-ups per client address per window. */
export const SIGNUPS_PER_ADDRESS = 20;
export const SIGNUP_WINDOW_SECONDS = 60 * 60;
/**
 * Password checks (Argon2id, ~20 ms of a core and 19 MiB each) running at once: half the cores, so a
 * flood of logins leaves the rest to the sync ([S14a], auth/password-gate.ts).
 */
export const PASSWORD_CHECKS_AT_ONCE = Math.max(1, Math.floor(availableParallelism() / 2));
/** Password checks waiting for their turn; past it a login, signup or check is answered 503. */
export const MAX_PASSWORD_CHECKS_WAITING = 64;
/** Password checks running or waiting for one client address. */
export const MAX_PASSWORD_CHECKS_PER_ADDRESS = 8;

/** Redis publishes held while Redis is unreachable; past it they are dropped (peers resync on reconnect). */
export const MAX_REDIS_OFFLINE_QUEUE = 1_000;
export const MAX_REDIS_OFFLINE_QUEUE_BYTES = 16 * 1024 * 1024;
/** Presence and store notices cross processes in batches gathered this long (scale/publish-batch.ts). */
export const REDIS_BATCH_MS = 50;
/** A batch is published early once it holds this many bytes. */
export const MAX_REDIS_BATCH_BYTES = 256 * 1024;
/**
 * A document with changes compares its state with the other processes' this long after its first
 * unchecked change: a last resort, since a publish that fails is repaired at once and an outage
 * resyncs every document.
 */
export const SYNC_CHECK_MS = 5 * 60_000;
/** After a publish of a document's update failed, its state is compared with the others' this soon. */
export const SYNC_REPAIR_MS = 1_000;

/**
 * PostgreSQL stores arriving within this window go to the database together (group commit: one
 * transaction of four statements for the batch instead of five per document). A store a caller waits
 * on (the API's writes) waits at most this long for others to join it.
 */
export const STORE_BATCH_WINDOW_MS = 20;
/**
 * Background stores (the debounced stores of live edits, which nothing waits on) are gathered this
 * long. With 3,000 users editing on two processes, batches every 20 ms held ~3 documents each, and
 * their statements cost more than everything else the processes did: both processes 0.50 cores with
 * PostgreSQL 0.10, against 0.29 and 0.03 with this window (bench/ANALYSIS.md). Stores are debounced
 * by 2-10 s already; this adds at most the window to one.
 */
export const STORE_BACKGROUND_WINDOW_MS = 250;
/** At most this many documents, and this many bytes of state, in one batch; the rest go in the next. */
export const MAX_STORE_BATCH_DOCUMENTS = 100;
export const MAX_STORE_BATCH_BYTES = 16 * 1024 * 1024;
/**
 * A deleted document's name is kept (a tombstone: no state) this long, so that a store another
 * process had in flight, or made before it heard of the deletion, cannot bring it back; it counts
 * toward its owner's MAX_DOCS_PER_USER meanwhile (not their bytes). Then dropped, at most
 * TOMBSTONE_PRUNE_BATCH at a time after a deletion (more when that deletion made more).
 */
export const DOCUMENT_TOMBSTONE_MS = 60 * 60_000;
export const TOMBSTONE_PRUNE_BATCH = 1_000;

/**
 * Awareness client ids one connection may introduce to a document (ids its awareness has no record
 * of): a provider has one, two after its document is replaced. Entries past it are dropped; each
 * id the awareness has seen costs a record (y-protocols keeps one per id, removed or not).
 */
export const MAX_NEW_AWARENESS_CLIENTS_PER_CONNECTION = 8;
/** Characters of one client's awareness state (JSON); a larger one is dropped. */
export const MAX_AWARENESS_STATE_CHARS = 16 * 1024;
/** A departed awareness client's record (its last clock) is dropped after this long. */
export const AWARENESS_RECORD_TTL_MS = 5 * 60_000;

/** Sessions a user holds at once (one per login); a new one past it ends the oldest. */
export const MAX_SESSIONS_PER_USER = 100;
/** Onboarding tokens a user holds (live or used); a new one past it drops the oldest. */
export const MAX_ONBOARDING_TOKENS_PER_USER = 10;
/** Vibers a user has at once; past it no onboarding token is given and onboarding is refused (409). */
export const MAX_VIBERS_PER_USER = 100;
/**
 * Every open websocket's token is checked against the store this often: a session that ended (a
 * logout or a removed Viber handled by another process, an expiry) closes its connections within it.
 */
export const TOKEN_RECHECK_MS = 60_000;
/** A Viber's lastSeenAt is recorded at its connect and disconnect, at most once in this long. */
export const VIBER_SEEN_INTERVAL_MS = 10_000;
