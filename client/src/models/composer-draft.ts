// The composer's unsent text, kept per task (and one for the New Task draft) in the local-only draft
// store the environment editor uses: leaving a task, or a reload, does not lose it; sending clears it.
import { effect, signal } from '@preact/signals';
import type { DraftStore } from './draft-store.ts';

/** The draft id of a task's composer; `composer:new` is the New Task draft's. */
export const composerDraftId = (taskId: string | 'new') => `composer:${taskId}`;

/** The text of the composer `id`, restored from `drafts` and kept there as it changes. */
export function createComposerDraft(drafts: DraftStore, id: string) {
  const text = signal(drafts.get<string>(id) ?? '');
  const stop = effect(() => {
    if (text.value.trim()) drafts.put(id, text.value);
    else drafts.discard(id);
  });
  return {
    text,
    /** After sending: the draft is gone from the store too. */
    clear: () => (text.value = ''),
    dispose: stop,
  };
}

export type ComposerDraft = ReturnType<typeof createComposerDraft>;
