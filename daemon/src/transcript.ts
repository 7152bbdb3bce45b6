// What an agent is told about its task (OPENVIBER_TASK_ID, OPENVIBER_MESSAGE_INDEX,
// OPENVIBER_TRANSCRIPT): a JSON file of the task's earlier messages and how each ended, in
// `.openviber/` of the task's working directory — the one place both the bwrap sandbox and a
// container see — and ignored through the repository's info/exclude, so it never shows in the
// task's changes nor gets pushed.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as Y from 'yjs';
import { getRun, listMessages } from '@openviber/shared';
import { runGit } from './git-executor.ts';
import { gitPathTask } from './git-change-tasks.ts';
import type { Runner } from './runner.ts';

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

/** Writes the transcript of the messages before `messageId`; returns the agent's environment. */
export function writeTranscript(
  cwd: string,
  taskId: string,
  messageId: string,
  taskDoc: Y.Doc | undefined,
  runDoc: Y.Doc,
): Record<string, string> {
  const messages = taskDoc ? listMessages(taskDoc) : [];
  const index = Math.max(
    0,
    messages.findIndex((m) => m.id === messageId),
  );
  const earlier: TranscriptEntry[] = messages.slice(0, index).map((m, i) => {
    const run = getRun(runDoc, m.id);
    return {
      index: i,
      messageId: m.id,
      text: m.text,
      state: run?.state ?? 'not run',
      exitCode: run?.exitCode ?? null,
      error: run?.error ?? '',
      output: (run?.output ?? '').slice(-TRANSCRIPT_OUTPUT_CHARS),
    };
  });
  // One file per task: tasks of an environment that persists its volume share the working directory.
  const path = join(cwd, OPENVIBER_DIR, `transcript-${taskId}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ taskId, messageIndex: index, messages: earlier }, null, 2) + '\n');
  return {
    OPENVIBER_TASK_ID: taskId,
    OPENVIBER_MESSAGE_INDEX: String(index),
    OPENVIBER_TRANSCRIPT: path,
  };
}

/** Adds `.openviber/` to the repository's info/exclude (once), so our files never count as changes. */
export async function excludeOurFiles(runner: Runner, cwd: string): Promise<void> {
  const exclude = resolve(cwd, await runGit(gitPathTask('info/exclude'), { runner, cwd }));
  const line = `${OPENVIBER_DIR}/`;
  const current = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
  if (current.split('\n').includes(line)) return;
  mkdirSync(dirname(exclude), { recursive: true });
  appendFileSync(exclude, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
}
