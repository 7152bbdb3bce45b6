// What an agent is told about its task (OPENVIBER_TASK_ID, OPENVIBER_MESSAGE_INDEX,
// OPENVIBER_TRANSCRIPT): a JSON file of the task's earlier messages and how each ended, in
// `.openviber/` of the task's working directory — the one place both the bwrap sandbox and a
// container see — and ignored through the repository's info/exclude, so it never shows in the
// task's changes nor gets pushed.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as Y from 'yjs';
import { listMessages } from '@openviber/shared';
import { appendLineOnceConfined, writeConfined, type TaskFiles } from './confined-files.ts';
import { replaceFile } from './durable-file.ts';
import { runGit } from './git-executor.ts';
import { gitPathTask } from './git-change-tasks.ts';

/** Output kept per earlier message in the transcript (its end: where errors are). */
export const TRANSCRIPT_OUTPUT_CHARS = 8 * 1024;
export const OPENVIBER_DIR = '.openviber';

export interface TranscriptEntry {
  index: number;
  messageId: string;
  text: string;
  state: string;
  exitCode: number | null;
  error: string;
  /** The last TRANSCRIPT_OUTPUT_CHARS characters of its (redacted) output. */
  output: string;
}

/** Entries kept per task (the newest); each holds at most TRANSCRIPT_OUTPUT_CHARS of output. */
export const MAX_TRANSCRIPT_ENTRIES = 200;

const entriesFile = (stateDir: string, taskId: string) => join(stateDir, 'transcripts', `${taskId}.json`);

/**
 * The task's earlier messages as this Viber ran or settled them, recorded by itself
 * ($VIBER_HOME/state/transcripts/<taskId>.json). Not read back from the task and run documents:
 * the server can write those, and a message no one signed, with a made-up "completed" run and
 * output, would reach a signed message's agent as an instruction ([T5]).
 */
export function readTranscriptEntries(stateDir: string, taskId: string): Omit<TranscriptEntry, 'index'>[] {
  try {
    const parsed = JSON.parse(readFileSync(entriesFile(stateDir, taskId), 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as Omit<TranscriptEntry, 'index'>[]) : [];
  } catch {
    return [];
  }
}

/** Records how a message of the task ended (its output's tail), replacing an earlier entry for it. */
export function recordTranscriptEntry(
  stateDir: string,
  taskId: string,
  entry: Omit<TranscriptEntry, 'index'>,
): void {
  const entries = readTranscriptEntries(stateDir, taskId).filter((e) => e.messageId !== entry.messageId);
  entries.push({ ...entry, output: entry.output.slice(-TRANSCRIPT_OUTPUT_CHARS) });
  const file = entriesFile(stateDir, taskId);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Context for an agent, not a guarantee: no fsync.
  replaceFile(file, JSON.stringify(entries.slice(-MAX_TRANSCRIPT_ENTRIES)), { durable: false });
}

/** The task was deleted ([V5]): its entries go. */
export function forgetTranscript(stateDir: string, taskId: string): void {
  rmSync(entriesFile(stateDir, taskId), { force: true });
}

/**
 * Writes the transcript of the messages this Viber ran or settled before `messageId` (from its own
 * record); returns the agent's environment. The message's index is its place in the task.
 */
export async function writeTranscript(
  files: TaskFiles,
  stateDir: string,
  taskId: string,
  messageId: string,
  taskDoc: Y.Doc | undefined,
): Promise<Record<string, string>> {
  const messages = taskDoc ? listMessages(taskDoc) : [];
  const index = Math.max(
    0,
    messages.findIndex((m) => m.id === messageId),
  );
  const earlier: TranscriptEntry[] = readTranscriptEntries(stateDir, taskId)
    .filter((e) => e.messageId !== messageId)
    .map((e, i) => ({ ...e, index: i }));
  // One file per task: tasks of an environment that persists its volume share the working directory.
  const path = join(files.cwd, OPENVIBER_DIR, `transcript-${taskId}.json`);
  // Written as the task would (confined-files.ts): `.openviber` may be a link the repository holds.
  await writeConfined(
    files,
    path,
    JSON.stringify({ taskId, messageIndex: index, messages: earlier }, null, 2) + '\n',
  );
  return {
    OPENVIBER_TASK_ID: taskId,
    OPENVIBER_MESSAGE_INDEX: String(index),
    OPENVIBER_TRANSCRIPT: path,
  };
}

/** Adds `.openviber/` to the repository's info/exclude (once), so our files never count as changes. */
export async function excludeOurFiles(files: TaskFiles): Promise<void> {
  const exclude = resolve(
    files.cwd,
    await runGit(gitPathTask('info/exclude'), { ...files, reach: [...files.reach] }),
  );
  // As the task would: the git directory is the task's to write, and a link there reaches only what it can.
  await appendLineOnceConfined(files, exclude, `${OPENVIBER_DIR}/`);
}
