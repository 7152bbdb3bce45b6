// A composer's text survives leaving the view (a new model over the same store) and is gone once sent.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDraftStore } from './draft-store.ts';
import { composerDraftId, createComposerDraft } from './composer-draft.ts';

describe('composer drafts', () => {
  it('keeps each task’s unsent text apart until it is sent', () => {
    const drafts = createDraftStore(new Y.Doc());
    const a = createComposerDraft(drafts, composerDraftId('task_a'));
    const b = createComposerDraft(drafts, composerDraftId('new'));
    a.text.value = 'npm test -- --watch';
    b.text.value = 'echo first';
    a.dispose();
    b.dispose();

    const again = createComposerDraft(drafts, composerDraftId('task_a'));
    expect(again.text.value).toBe('npm test -- --watch');
    expect(createComposerDraft(drafts, composerDraftId('new')).text.value).toBe('echo first');
    again.clear();
    again.dispose();
    expect(createComposerDraft(drafts, composerDraftId('task_a')).text.value).toBe('');
    expect(drafts.get(composerDraftId('task_a'))).toBeUndefined();
  });
});
