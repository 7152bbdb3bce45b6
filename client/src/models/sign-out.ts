// Signing out deletes this device's copy of the user's documents (IndexedDB, logout in
// session-model.ts). What exists only there — changes the server has not confirmed yet, drafts that
// were never saved — would go with it without a word. So the user is told what, and chooses.
// (Messages waiting to be written are kept in localStorage, which sign-out keeps: the next sign-in
// writes them.)
import type { AppModel } from './app-model.ts';

/** What signing out now would lose, in words ('' when nothing). */
export function unsavedWork(app: Pick<AppModel, 'store' | 'drafts'>): string {
  const changes = app.store.unsynced.peek();
  const drafts = app.drafts.ids().length;
  const parts = [
    changes && `${changes} ${changes === 1 ? 'change' : 'changes'} the server has not confirmed`,
    drafts && `${drafts} unsaved ${drafts === 1 ? 'draft' : 'drafts'}`,
  ].filter(Boolean);
  return parts.join(' and ');
}

/** Signs out, after asking when that would lose something this device alone holds. */
export async function signOut(app: AppModel): Promise<void> {
  const lost = unsavedWork(app);
  if (lost) {
    const offline = !app.store.browserOnline.peek();
    const ok = await app.confirm.ask({
      title: 'Sign out and lose what is not saved?',
      body: `This device holds ${lost}. Signing out deletes this device's copy, so they would be lost. ${
        offline ? 'Connect to the network' : 'Stay'
      } until the indicator says Saved (and save or discard drafts), or sign out anyway.`,
      confirmLabel: 'Sign out anyway',
      danger: true,
    });
    if (!ok) return;
  }
  await app.sessionModel.logout();
}
