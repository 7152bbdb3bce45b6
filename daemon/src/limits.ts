// The daemon's own bounds (the README lists them): what one Viber holds open and how long it waits.

/** Documents an open task holds: its task document, its run output and its changes. */
export const DOCUMENTS_PER_OPEN_TASK = 3;
/**
 * Task workers open at once; more tasks with work wait for a slot ([V3]). Chosen so that the
 * workspace, the Viber's own document, every open task and every prepare's log fit within the
 * connection's MAX_ATTACHED_DOCUMENTS (80) at once: 2 + 3 × 24 + 4 = 78. With 32 tasks (98), a
 * prepare's log waited for a slot that only a task could free, while every task waited for that
 * prepare — the Viber made no progress again (26 busy tasks and a Prepare were enough).
 */
export const MAX_OPEN_TASKS = 24;
/** Prepares running at once (each holds its log document open). */
export const MAX_CONCURRENT_PREPARES = 4;
/**
 * A task one of whose documents the server refused (deleted as the Viber opened it, a connection
 * limit) is opened again no sooner than this: the daemon's 5 s reconcile tick tries it then.
 */
export const REFUSED_TASK_RETRY_MS = 5_000;
/** An idle task's documents stay open this long, unless its slot is needed sooner. */
export const IDLE_TASK_CLOSE_MS = 30_000;
/** ...and at least this long even then (task-slots.ts `#idleFor`: a message may trail its task's bump). */
export const EVICT_IDLE_AFTER_MS = 2_000;
/**
 * stdout the daemon keeps to parse (git's listings and patches): past it the command is stopped and
 * fails, instead of the daemon holding (and decoding) whatever it prints — a 20-million-file tree.
 */
export const MAX_CAPTURED_STDOUT_BYTES = 64 * 1024 * 1024;
/** On SIGTERM: how long running work gets to stop and record itself before the daemon exits anyway. */
export const STOP_WORK_GRACE_MS = 3_000;
/** On SIGTERM: how long the server gets to acknowledge the last writes (they are on disk already). */
export const STOP_FLUSH_MS = 1_000;
/**
 * How long a task or binding must stay absent from the workspace, counted only while the workspace
 * is connected and synced, before the Viber treats it as deleted without a deletion entry ([V5]).
 */
export const ABSENT_GRACE_MS = 10 * 60_000;
/**
 * A run's spooled output (output-spool.ts): what has been read is given back to the disk each time
 * this much was read since, so the file holds at most this plus what arrived since the last read.
 */
export const SPOOL_PUNCH_BYTES = 64 * 1024 * 1024;
/**
 * Processes (and threads: the kernel counts tasks) one run may have at once: a setup, a task's
 * command or the daemon's own git in bubblewrap, or a container (`--ulimit nproc`). Per run, not per
 * user: a fork bomb in one environment stops at this instead of taking every process the user may
 * have ([R3a]).
 */
export const MAX_RUN_PROCESSES = 4096;
/**
 * A run's processes' `oom_score_adj` (-1000..1000; 0 for everything else): when the machine runs out
 * of memory, the kernel counts each of them as holding half the memory more than it does, so a build
 * that fills the machine loses one of its own processes before the Viber, the user's editor or their
 * browser — unless one of those holds more than half the memory. Kubernetes gives best-effort pods
 * 1000 (always first); a run is the user's work too, so half-way ([R3b]). A default, not a defence:
 * any process may lower its own back to 0.
 */
export const RUN_OOM_SCORE_ADJ = 500;
